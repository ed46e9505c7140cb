import { spawn } from "node:child_process";
import { closeSync, existsSync, promises as fsp, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CarError } from "../errors.js";
import type { RunTarget } from "../proc/stat.js";
import { isLiveStatus } from "../state/transitions.js";
import type { LockInfo, RunnerState } from "../types.js";
import { closeDeadRun, openRunInLog } from "./engine/dead-runner.js";
import { readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import { clearQueuedStart } from "./hub/queued.js";
import { lockStatus, parseLock } from "./lock.js";
import { LogReader } from "./log/reader.js";
import { type CarPaths, carPaths } from "./paths.js";
import { endRunProcesses } from "./proc/end.js";
import { findRunProcesses, isProcessAlive, processStartTime, signalProcess } from "./proc/procfs.js";
import { readState, writeState } from "./state-store.js";

/**
 * Controlling a runner from another process (CLI `stop`/`kill`, the server): everything goes through
 * the files in `.codex-autorunner/` and signals, since the runner may be any process on this host.
 */

/**
 * Ask the live runner to finish after its current run (the stop file; the runner removes it). A start a
 * hub queued for this repo is cancelled too (`queueCancelled`); with neither, NOT_RUNNING.
 */
export async function requestStop(root: string): Promise<{ pid: number | null; queueCancelled: boolean }> {
  const paths = carPaths(resolve(root));
  const lock = await lockStatus(paths.lock);
  const queueCancelled = await clearQueuedStart(paths);
  // A rollback holding the lock is no runner: a stop file now would stop the next runner instead.
  if (!lock.alive || !lock.info || lock.info.purpose) {
    if (queueCancelled) return { pid: null, queueCancelled };
    throw new CarError("NOT_RUNNING", `No runner is running in ${paths.root}; nothing to stop.`, {
      file: ".codex-autorunner/lock",
    });
  }
  const body = `${JSON.stringify({ requested_at: new Date().toISOString(), by_pid: process.pid })}\n`;
  await writeFileAtomic(paths.stop, body);
  return { pid: lock.info.pid, queueCancelled };
}

export interface KillResult {
  /** Runner PID signalled (null when only an orphaned agent was found). */
  pid: number | null;
  /** The agent's pid (its process group) when any process of the run was alive. */
  agentPid: number | null;
  /** The last signal needed: SIGTERM when everything ended within the grace, else SIGKILL. */
  signal: "SIGTERM" | "SIGKILL";
}

/**
 * End the runner and every process of its run (the agent's group, everything carrying the run's
 * marker, their descendants); see endRunner. If the runner could not clean up (it was SIGKILLed),
 * do it here: the run's end marker, its record (outcome killed), state error "killed by SIGTERM",
 * the lock removed.
 * NOT_RUNNING when nothing was alive (stale state and lock are still cleaned up).
 */
export async function killRunner(root: string, options: { graceMs?: number } = {}): Promise<KillResult> {
  const paths = carPaths(resolve(root));
  const graceMs = options.graceMs ?? 10_000;
  const lock = await lockStatus(paths.lock);
  const state = await readState(paths).catch(() => null);
  if (lock.alive && lock.info?.purpose) {
    // Not a runner (a rollback, perhaps inside `car serve`): signalling it would end the server or
    // leave the work tree half restored.
    throw new CarError(
      "LOCK_HELD",
      `No runner to kill: a ${lock.info.purpose} (PID ${lock.info.pid}) holds ${paths.lock} for a few seconds; try again when it ends.`,
      { file: ".codex-autorunner/lock", pid: lock.info.pid },
    );
  }
  const runnerPid = lock.alive && lock.info ? lock.info.pid : null;
  const run = runTargetOf(state);
  const runAlive = run !== null && findRunProcesses(run).length > 0;
  const agentPid = runAlive ? (state?.agent_pid ?? null) : null;

  if (runnerPid === null && !runAlive) {
    await cleanUp(paths, state, null, null);
    throw new CarError("NOT_RUNNING", `No runner is running in ${paths.root}; nothing to kill.`, {
      file: ".codex-autorunner/lock",
    });
  }

  const { signal } = await endRunner(runnerPid, run, graceMs);
  await cleanUp(paths, await readState(paths).catch(() => state), runnerPid, signal);
  return { pid: runnerPid, agentPid, signal };
}

/**
 * `--force` taking over from a live runner (acquireLock's takeOver): end it and its run's processes
 * like `car kill`, but leave the files alone: the taker holds the lock next and its recovery closes
 * a run the old runner could not (so a run never gets two end markers). Throws LOCK_HELD when the
 * runner cannot be ended.
 */
export async function endLockHolder(root: string, holder: LockInfo, graceMs: number): Promise<void> {
  const paths = carPaths(resolve(root));
  // Re-check the identity right before signalling: the PID must still be the process that locked.
  if (holder.pid_start && processStartTime(holder.pid) !== holder.pid_start) return;
  const state = await readState(paths).catch(() => null);
  const ended = await endRunner(holder.pid, runTargetOf(state), graceMs);
  if (ended.survivors.includes(holder.pid)) {
    throw new CarError(
      "LOCK_HELD",
      `The runner holding ${paths.lock} (PID ${holder.pid}) survived SIGKILL; it cannot be taken over.`,
      { file: paths.lock, pid: holder.pid },
    );
  }
}

/** Beyond the grace: the runner's own TERM → grace → KILL of its agent, then its end marker and state. */
const RUNNER_CLOSE_MS = 2_000;

/**
 * SIGTERM the runner and give it the grace (plus the time to close its run) to end its run itself:
 * it ends the run's processes and writes the end marker, record and state, so a kill is recorded the
 * same however the loop was started. Then end whatever of the run is left (SIGTERM, grace, SIGKILL),
 * with a runner that is still there SIGKILLed along. A grace of 0 SIGKILLs everything at once.
 */
async function endRunner(
  runnerPid: number | null,
  run: RunTarget | null,
  graceMs: number,
): Promise<{ signal: "SIGTERM" | "SIGKILL"; survivors: number[] }> {
  let runnerGone = true;
  if (runnerPid !== null) {
    signalProcess(runnerPid, "SIGTERM");
    runnerGone = await waitUntil(
      () => !isProcessAlive(runnerPid),
      graceMs > 0 ? graceMs + RUNNER_CLOSE_MS : 0,
    );
  }
  const rest = await endRunProcesses(run ?? {}, {
    graceMs: runnerGone ? graceMs : 0,
    ...(runnerPid !== null && !runnerGone ? { also: [runnerPid] } : {}),
  });
  return {
    signal: runnerGone && rest.signal !== "SIGKILL" ? "SIGTERM" : "SIGKILL",
    survivors: rest.survivors,
  };
}

/** The processes of the run state.json names (marker and agent group), or null when it names none. */
function runTargetOf(state: RunnerState | null): RunTarget | null {
  const marker = state?.agent_marker ?? null;
  const pgid = state?.agent_pid ?? null;
  return marker === null && pgid === null ? null : { marker, pgid };
}

/**
 * After the runner is gone: if it left things as "running" (it could not run its own cleanup), close
 * its run (dead-runner.ts: end marker, record killed by `signal`, or interrupted when nothing was
 * signalled), write the state and drop the lock.
 */
async function cleanUp(
  paths: CarPaths,
  state: RunnerState | null,
  runnerPid: number | null,
  signal: "SIGTERM" | "SIGKILL" | null,
): Promise<void> {
  const lock = await lockStatus(paths.lock);
  if (lock.alive) return; // a runner (maybe a new one) holds it: not ours to touch
  if (state !== null && (isLiveStatus(state.status) || state.runner_pid !== null)) {
    // Only a run state.json says was running is closed here; any other open block is the next runner's.
    const openRun = isLiveStatus(state.status)
      ? await openRunInLog(new LogReader(paths.log, paths.logIndex))
      : null;
    await writeState(paths, (await closeDeadRun({ paths, state, openRun, signal })).state);
  }
  // The lock of a dead runner: remove it only if it still names that (dead) process.
  const raw = await readTextIfExists(paths.lock);
  if (raw !== null) {
    let pid: number | null = null;
    try {
      pid = parseLock(raw, paths.lock).pid;
    } catch {
      pid = null;
    }
    if (pid !== null && (pid === runnerPid || !isProcessAlive(pid)))
      await fsp.rm(paths.lock, { force: true });
  }
}

export interface StartOptions {
  once?: boolean;
  force?: boolean;
  /** How long to wait for the runner to take the lock (default 30 s). */
  timeoutMs?: number;
}

/**
 * Start `car-runner` as a detached process (own process group, survives its parent), output
 * appended to `.codex-autorunner/runner.out`. Resolves once the runner holds the lock (or already
 * finished successfully); a runner that fails at start-up → CarError with the tail of runner.out.
 */
export async function startDetachedRunner(
  root: string,
  options: StartOptions = {},
): Promise<{ pid: number }> {
  const paths = carPaths(resolve(root));
  const before = await lockStatus(paths.lock);
  if (before.alive && before.info && !options.force) {
    throw new CarError(
      "LOCK_HELD",
      `Another runner holds the lock ${paths.lock} (PID ${before.info.pid}); stop it with \`car stop\`/\`car kill\`, or use --force to take over.`,
      { file: paths.lock, pid: before.info.pid },
    );
  }
  await fsp.mkdir(paths.dir, { recursive: true });
  const outPath = join(paths.dir, "runner.out");
  const args = [runnerMainPath(), "--repo", paths.root];
  if (options.once) args.push("--once");
  if (options.force) args.push("--force");
  const outStart = await fsp.stat(outPath).then(
    (s) => s.size,
    () => 0,
  );
  const fd = openSync(outPath, "a");
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, { cwd: paths.root, detached: true, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new CarError("INTERNAL", `Could not start the runner (${process.execPath} ${args.join(" ")}).`);
  }
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.on("exit", (code, signal) => {
    exit = { code, signal };
  });
  child.on("error", () => {});
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const now = await lockStatus(paths.lock);
    if (now.info?.pid === pid) return { pid };
    const ended = exit as { code: number | null; signal: NodeJS.Signals | null } | null;
    if (ended) {
      if (ended.code === 0) return { pid }; // it ran and finished already (e.g. TODO done)
      const tail = await outputSince(outPath, outStart);
      const held = /LOCK_HELD/.test(tail);
      const holder = held ? await lockStatus(paths.lock) : null;
      throw new CarError(
        held ? "LOCK_HELD" : "AGENT_FAILED",
        `The runner exited (${ended.code ?? ended.signal}) before it started: ${tail.trim().split("\n").slice(-5).join(" | ")}`,
        {
          file: ".codex-autorunner/runner.out",
          ...(holder?.info ? { pid: holder.info.pid } : {}),
          exit_code: ended.code,
        },
      );
    }
    if (Date.now() > deadline) {
      const tail = await outputSince(outPath, outStart);
      throw new CarError(
        "INTERNAL",
        `The runner (PID ${pid}) did not take the lock in time: ${tail.trim().slice(-500)}`,
        {
          pid,
        },
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The built `runner-main.js`. Bundling may place this code in dist/node/ or in a shared chunk in
 * dist/; under vitest it runs from src/, where the built file is ../../dist/node/.
 */
export function runnerMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, "runner-main.js"),
    join(here, "node", "runner-main.js"),
    join(here, "..", "..", "dist", "node", "runner-main.js"),
    join(here, "..", "dist", "node", "runner-main.js"),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new CarError(
      "INTERNAL",
      `runner-main.js not found next to ${here}; build @codex-autorunner/core (pnpm --filter @codex-autorunner/core build).`,
      { candidates },
    );
  }
  return found;
}

async function outputSince(path: string, from: number): Promise<string> {
  try {
    const handle = await fsp.open(path, "r");
    try {
      const { size } = await handle.stat();
      const start = Math.max(from, size - 8192);
      const buf = Buffer.alloc(size - start);
      await handle.read(buf, 0, buf.length, start);
      return buf.toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return "";
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
