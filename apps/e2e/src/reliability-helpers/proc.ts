import { readdirSync, readFileSync } from "node:fs";

/** Linux /proc readings of another process: no debugger, no cooperation from the process needed. */

export interface ProcMemory {
  /** Peak resident set size so far (kB). */
  hwmKb: number;
  rssKb: number;
}

export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    if (!hwm || !rss) return null;
    return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) };
  } catch {
    return null;
  }
}

/** Open file descriptors (sockets, files, pipes, watchers) of `pid`, or null when it is gone. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Fields after the command name in /proc/<pid>/stat: [0] state, [1] ppid, [2] pgrp, [3] session. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat
      .slice(stat.lastIndexOf(")") + 2)
      .trim()
      .split(" ");
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
export function isLive(pid: number): boolean {
  const f = statFields(pid);
  return f !== null && f[0] !== "Z" && f[0] !== "X";
}

/** Live processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[2]) === pgid && f[0] !== "Z") out.push(Number(name));
  }
  return out;
}

export function signalQuietly(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Kill a process group (negative PID) and the process itself, ignoring "no such process". */
export function killTree(pid: number): void {
  signalQuietly(-pid);
  signalQuietly(pid);
}

/**
 * Samples a process's memory every `intervalMs` until stopped or the process is gone. VmHWM is the
 * kernel's own high-water mark, so a short spike between samples is still counted by the next one.
 */
export function sampleMemory(pid: number, intervalMs = 100): { stop(): ProcMemory & { samples: number } } {
  let peak: ProcMemory = { hwmKb: 0, rssKb: 0 };
  let samples = 0;
  const take = () => {
    const m = procMemory(pid);
    if (!m) return;
    samples++;
    peak = { hwmKb: Math.max(peak.hwmKb, m.hwmKb), rssKb: Math.max(peak.rssKb, m.rssKb) };
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { ...peak, samples };
    },
  };
}

/** Whether some thread of `pid` sleeps in the kernel opening a FIFO nobody writes (wchan wait_for_partner). */
export function blockedOnFifo(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((t) => {
      try {
        return readFileSync(`/proc/${pid}/task/${t}/wchan`, "utf8").includes("wait_for_partner");
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
