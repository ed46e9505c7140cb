import type { RunTarget } from "../../proc/stat.js";
import { findRunProcesses, isProcessAlive, killProcessGroup, signalProcess } from "./procfs.js";

/**
 * Ending every process of a run: SIGTERM to all of them, up to `graceMs` for them to go, then
 * SIGKILL. The table is re-read on every poll, so a process started meanwhile (a shell forking
 * on its way out) is signalled too.
 */

export interface EndOptions {
  /** Between SIGTERM and SIGKILL. */
  graceMs: number;
  /** After SIGKILL, how long to keep killing and waiting before giving up (default 5 s). */
  killWaitMs?: number;
  /** Poll interval (default 50 ms). */
  pollMs?: number;
  /** Processes signalled and waited for along with the run's, without their descendants (a runner). */
  also?: readonly number[];
}

export interface EndResult {
  /** Distinct processes found alive and signalled. */
  ended: number[];
  /** The last signal needed (null when nothing was alive). */
  signal: "SIGTERM" | "SIGKILL" | null;
  /** Still alive after SIGKILL and the wait (unkillable: stuck in the kernel, or not ours). */
  survivors: number[];
}

export async function endRunProcesses(target: RunTarget, options: EndOptions): Promise<EndResult> {
  const poll = options.pollMs ?? 50;
  const seen = new Set<number>();
  const also = options.also ?? [];
  const find = () => {
    const found = findRunProcesses(target);
    for (const pid of also) if (!found.includes(pid) && isProcessAlive(pid)) found.push(pid);
    return found;
  };
  const send = (pids: number[], signal: NodeJS.Signals, group = true) => {
    if (group && target.pgid) killProcessGroup(target.pgid, signal);
    for (const pid of pids) {
      seen.add(pid);
      signalProcess(pid, signal);
    }
  };

  let alive = find();
  if (alive.length === 0) return { ended: [], signal: null, survivors: [] };
  send(alive, "SIGTERM");
  const graceEnd = Date.now() + options.graceMs;
  for (;;) {
    if (alive.length === 0) return { ended: [...seen], signal: "SIGTERM", survivors: [] };
    if (Date.now() >= graceEnd) break;
    await delay(Math.min(poll, Math.max(1, graceEnd - Date.now())));
    alive = find();
    const fresh = alive.filter((p) => !seen.has(p));
    if (fresh.length > 0) send(fresh, "SIGTERM", false);
  }
  const killEnd = Date.now() + (options.killWaitMs ?? 5_000);
  for (;;) {
    send(alive, "SIGKILL");
    await delay(poll);
    alive = find();
    if (alive.length === 0) return { ended: [...seen], signal: "SIGKILL", survivors: [] };
    if (Date.now() >= killEnd) return { ended: [...seen], signal: "SIGKILL", survivors: alive };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
