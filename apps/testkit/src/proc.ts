import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { shQuote } from "./model-server/steps.js";
import { carBinPath } from "./paths.js";

export interface CarRunOptions {
  cwd?: string;
  /** Merged over process.env; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Kill (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed (default: stdin closed at once). */
  input?: string;
}

export interface CarResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnedCar {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is drained. */
  exited: Promise<CarResult>;
}

function mergedEnv(over: CarRunOptions["env"]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Tests want plain, deterministic output; a caller can still set these back explicitly.
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the built `car` with `args`; output is collected. For long-running commands (run, log --follow). */
export function spawnCar(args: string[], opts: CarRunOptions = {}): SpawnedCar {
  const bin = carBinPath();
  if (!existsSync(bin))
    throw new Error(`testkit: ${bin} is missing; run \`pnpm --filter codex-autorunner build\``);
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: mergedEnv(opts.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  child.stdin!.on("error", () => {});
  child.stdin!.end(opts.input ?? "");
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const exited = new Promise<CarResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** Runs the built `car` to completion. */
/**
 * The built `car` on a pseudo-terminal (util-linux `script`) with `opts.input` typed into it: for the
 * prompts only a terminal gets. `output` is what the terminal showed (both streams, CRLF → LF).
 */
export function runCarOnTty(
  args: string[],
  opts: CarRunOptions & { input: string },
): { code: number | null; output: string } {
  const command = [process.execPath, carBinPath(), ...args].map(shQuote).join(" ");
  const r = spawnSync("script", ["-qfec", command, "/dev/null"], {
    cwd: opts.cwd,
    env: { ...mergedEnv(opts.env), TERM: "dumb", NO_COLOR: "1" },
    input: opts.input,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.replaceAll("\r\n", "\n") };
}

export function runCar(args: string[], opts: CarRunOptions = {}): Promise<CarResult> {
  return spawnCar(args, opts).exited;
}

/** Polls `predicate` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(
        `waitFor: timed out after ${opts.timeoutMs ?? 30_000} ms: ${opts.what ?? "condition"}${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/**
 * Whether a PID is alive (signal 0). A zombie counts as dead: an orphan whose new parent (PID 1 in a
 * container is not always a reaping init) never collects it is still gone for every purpose here.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): trust the signal
  }
}
