import { execFile } from "node:child_process";
import { CarError } from "../errors.js";

/** Git via `execFile` (no shell: messages and paths are never interpreted). The one place git is spawned. */

export interface GitExecOptions {
  /** Added to the environment (e.g. GIT_INDEX_FILE for a private index). */
  env?: Record<string, string>;
  /** Written to git's stdin, which is then closed (closed at once without it). */
  input?: string | Buffer;
  /** Stop reading stdout past this many bytes: git is stopped and the result says `truncated`. */
  maxStdoutBytes?: number;
}

export interface GitOutput {
  code: number;
  /** Raw bytes: `-z` output carries paths that need not be UTF-8. */
  stdout: Buffer;
  stderr: string;
  /** Stdout went past `maxStdoutBytes`: what was read is in `stdout`, git was stopped. */
  truncated?: boolean;
}

const MAX_BUFFER = 256 * 1024 * 1024;

/** Runs git; a non-zero exit is returned, not thrown. Throws GIT_FAILED only when git cannot be run. */
export function execGit(cwd: string, args: string[], opts: GitExecOptions = {}): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd,
        maxBuffer: opts.maxStdoutBytes ?? MAX_BUFFER,
        encoding: "buffer",
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", ...opts.env },
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e?.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER" && opts.maxStdoutBytes !== undefined) {
          resolve({ code: 0, stdout, stderr: stderr.toString(), truncated: true });
          return;
        }
        if (e && typeof e.code === "string") {
          reject(
            new CarError(
              "GIT_FAILED",
              e.code === "ENOENT"
                ? "git is not installed or not on PATH."
                : `Could not run git: ${e.message}`,
              { cwd, args },
              { cause: err },
            ),
          );
          return;
        }
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : 1) : 0,
          stdout,
          stderr: stderr.toString(),
        });
      },
    );
    // A closed stdin: a command that would read a message or paths from it must not wait forever.
    child.stdin?.on("error", () => {}); // git exiting before reading all of `input` is reported by its exit code
    child.stdin?.end(opts.input);
  });
}

/** Stdout of a git command that must succeed; GIT_FAILED naming the command and git's stderr otherwise. */
export async function gitOk(cwd: string, args: string[], opts: GitExecOptions = {}): Promise<Buffer> {
  const r = await execGit(cwd, args, opts);
  if (r.code === 0) return r.stdout;
  throw gitError(cwd, args, r);
}

/** GIT_FAILED for a git command that exited non-zero, with git's own message. */
export function gitError(cwd: string, args: string[], r: GitOutput): CarError {
  const detail = r.stderr.trim() || r.stdout.toString().trim() || `exit code ${r.code}`;
  return new CarError("GIT_FAILED", `git ${args[0]} failed in ${cwd}: ${detail.slice(-2000)}`, {
    cwd,
    args,
    exit_code: r.code,
  });
}

/** Trimmed text stdout of a git command that must succeed. */
export async function gitLine(cwd: string, args: string[], opts: GitExecOptions = {}): Promise<string> {
  return (await gitOk(cwd, args, opts)).toString("utf8").trim();
}
