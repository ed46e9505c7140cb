import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { CarError } from "../errors.js";

/** Git via `execFile` (no shell: messages and paths are never interpreted). */

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAX_BUFFER = 256 * 1024 * 1024;

function git(cwd: string, args: string[], encoding: "utf8" | "buffer" = "utf8"): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd,
        maxBuffer: MAX_BUFFER,
        encoding,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
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
          stdout: stdout.toString(),
          stderr: stderr.toString(),
        });
      },
    );
  });
}

/** Raw stdout of a git command that must succeed (GIT_FAILED with its stderr otherwise). */
async function gitBuffer(cwd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, maxBuffer: MAX_BUFFER, encoding: "buffer" }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const detail = stderr.toString().trim() || err.message;
      reject(
        new CarError(
          "GIT_FAILED",
          `git ${args[0]} failed in ${cwd}: ${detail}`,
          { cwd, args },
          { cause: err },
        ),
      );
    });
  });
}

/** True when `dir` is inside a git work tree. */
export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    const r = await git(dir, ["rev-parse", "--is-inside-work-tree"]);
    return r.code === 0 && r.stdout.trim() === "true";
  } catch {
    return false;
  }
}

export async function gitInit(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const r = await git(dir, ["init", "--quiet"]);
  if (r.code !== 0) {
    throw new CarError("GIT_FAILED", `git init failed in ${dir}: ${r.stderr.trim()}`, { cwd: dir });
  }
}

export interface CommitResult {
  ok: boolean;
  /** The new commit, or null when there was nothing to commit (or it failed). */
  sha: string | null;
  /** "committed …", "nothing to commit", or git's error text. */
  message: string;
}

/**
 * `git add -A` then commit. Nothing to commit is a success with `sha: null`; a failure is returned
 * (ok: false, git's stderr) rather than thrown so the caller can record it in the run record.
 * A fallback identity is passed only when the repo has none, so a user's own identity always wins.
 * The repo's hooks run (no --no-verify): a pre-commit hook that rejects the agent's work is the
 * user's policy, and its refusal shows up in the log and the run record like any failed commit.
 */
export async function commitAll(root: string, message: string): Promise<CommitResult> {
  const add = await git(root, ["add", "-A"]);
  if (add.code !== 0) return { ok: false, sha: null, message: `git add -A failed: ${tail(add)}` };
  const staged = await git(root, ["diff", "--cached", "--quiet"]);
  if (staged.code === 0) return { ok: true, sha: null, message: "nothing to commit" };
  if (staged.code !== 1 && !(await hasNoCommits(root))) {
    return { ok: false, sha: null, message: `git diff --cached failed: ${tail(staged)}` };
  }
  const identity = (await hasIdentity(root))
    ? []
    : ["-c", "user.name=codex-autorunner", "-c", "user.email=codex-autorunner@localhost"];
  const commit = await git(root, [...identity, "commit", "--quiet", "-m", message]);
  if (commit.code !== 0) {
    const text = tail(commit);
    if (/nothing (added )?to commit/.test(text)) return { ok: true, sha: null, message: "nothing to commit" };
    return { ok: false, sha: null, message: `git commit failed: ${text}` };
  }
  const head = await git(root, ["rev-parse", "HEAD"]);
  const sha = head.code === 0 ? head.stdout.trim() : null;
  return { ok: true, sha, message: sha ? `committed ${sha.slice(0, 12)}` : "committed" };
}

function tail(r: GitResult): string {
  return (r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`).slice(-2000);
}

async function hasIdentity(root: string): Promise<boolean> {
  const [name, email] = await Promise.all([
    git(root, ["config", "user.name"]),
    git(root, ["config", "user.email"]),
  ]);
  const envOk = (k: string) => Boolean(process.env[`GIT_AUTHOR_${k}`] && process.env[`GIT_COMMITTER_${k}`]);
  return (name.code === 0 || envOk("NAME")) && (email.code === 0 || envOk("EMAIL"));
}

async function hasNoCommits(root: string): Promise<boolean> {
  return (await git(root, ["rev-parse", "--verify", "--quiet", "HEAD"])).code !== 0;
}

/**
 * A hash of the work tree's state (`git status --porcelain=v1 -z` plus `git diff HEAD`, or the
 * status alone before the first commit) plus the content of untracked files' names. Equal before and
 * after a run = the run changed nothing git can see (the no-progress breaker uses it).
 */
export async function workTreeFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256");
  const status = await gitBuffer(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
  hash.update(status);
  if (!(await hasNoCommits(root))) {
    hash.update("\0diff\0");
    hash.update(await gitBuffer(root, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"]));
  }
  // Untracked files are in the status by name only; fold in their content so edits to them count.
  for (const name of untrackedNames(status)) {
    hash.update(`\0untracked\0${name}\0`);
    try {
      hash.update(await fsp.readFile(join(root, name)));
    } catch {
      // Vanished or unreadable (a socket, a folder): the name is enough.
    }
  }
  return hash.digest("hex");
}

function untrackedNames(status: Buffer): string[] {
  return status
    .toString("utf8")
    .split("\0")
    .filter((e) => e.startsWith("?? "))
    .map((e) => e.slice(3));
}
