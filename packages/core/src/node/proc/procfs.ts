import { readdirSync, readFileSync } from "node:fs";
import { environHasMarker } from "../../proc/marker.js";
import {
  isZombie,
  type ProcStat,
  parseProcStat,
  type RunTarget,
  selectRunProcesses,
} from "../../proc/stat.js";

/**
 * Reading the process table. Liveness ignores zombies everywhere: `kill(pid, 0)` succeeds on a
 * zombie, and PID 1 in a container is not always an init that reaps orphans promptly, so a process
 * that has exited could otherwise look alive for a long time.
 */

const hasProc = process.platform === "linux";

/** `/proc/<pid>/stat`, parsed; null when the process is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | null {
  if (!hasProc) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** `kill(pid, 0)`: EPERM means it exists but belongs to someone else (alive). Zombies count as dead. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = readProcStat(pid);
  return stat === null ? !hasProc : !isZombie(stat);
}

/**
 * The process's start time as recorded by the kernel (`/proc/<pid>/stat` field 22, clock ticks since
 * boot), or null where /proc is not available. Two processes with the same PID differ here.
 */
export function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** USER_HZ: the unit of /proc's start times. 100 on every mainstream Linux architecture (it is ABI). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * When the process started, as wall-clock milliseconds (boot time from /proc/stat + its start time
 * in ticks; within about a second), or null where /proc cannot tell.
 */
export function processStartedAtMs(pid: number): number | null {
  const ticks = processStartTime(pid);
  if (ticks === null) return null;
  let btime: RegExpExecArray | null;
  try {
    btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "latin1"));
  } catch {
    return null;
  }
  return btime ? Number(btime[1]) * 1000 + (Number(ticks) * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

/** The process's command line (argv), or null when it cannot be read (gone, hidden, no /proc). */
export function processArgv(pid: number): string[] | null {
  if (!hasProc) return null;
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (raw === "") return null; // a kernel thread, or a zombie
    return (raw.endsWith("\0") ? raw.slice(0, -1) : raw).split("\0");
  } catch {
    return null;
  }
}

/** True while a process of the group is alive (not a zombie). */
export function groupExists(pgid: number): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (!hasProc) return true;
  return readProcTable().some((p) => p.pgid === pgid && !isZombie(p));
}

/** Send `signal` to a process group; false when it is gone (ESRCH) or not ours. */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Send `signal` to one process; false when it is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Every process's stat (those that vanish while we read are skipped). Empty without /proc. */
export function readProcTable(): ProcStat[] {
  if (!hasProc) return [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const table: ProcStat[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid folder
    const stat = readProcStat(Number(name));
    if (stat) table.push(stat);
  }
  return table;
}

/** Whether the process's environment carries `marker` (unreadable — another user's, gone — is no). */
export function processHasMarker(pid: number, marker: string): boolean {
  try {
    return environHasMarker(readFileSync(`/proc/${pid}/environ`, "latin1"), marker);
  } catch {
    return false;
  }
}

/**
 * The live processes of a run (see selectRunProcesses), this process excluded. Without /proc only
 * the pids and the group can be seen: the group's leader stands for it.
 */
export function findRunProcesses(target: RunTarget): number[] {
  if (!hasProc) {
    const out = (target.pids ?? []).filter(isProcessAlive);
    if (target.pgid && groupExists(target.pgid) && !out.includes(target.pgid)) out.push(target.pgid);
    return out;
  }
  const marker = target.marker ?? null;
  return selectRunProcesses(
    readProcTable(),
    (pid) => marker !== null && processHasMarker(pid, marker),
    target,
    [process.pid],
  );
}
