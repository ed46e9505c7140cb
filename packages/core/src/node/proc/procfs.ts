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
