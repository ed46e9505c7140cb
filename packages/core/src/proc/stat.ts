/**
 * Pure decisions about processes from what Linux shows in /proc: parsing `/proc/<pid>/stat` and
 * choosing which processes belong to a run. The Node side (src/node/proc/) reads the files.
 */

/** The fields of `/proc/<pid>/stat` we use. */
export interface ProcStat {
  pid: number;
  /** One letter: R running, S sleeping, D disk wait, Z zombie, T stopped, … */
  state: string;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Start time in clock ticks since boot (field 22): with the pid, identifies one process. */
  startTime: string;
}

/**
 * Parse one `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields after it are found from the LAST `)`.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open));
  const f = text
    .slice(close + 2)
    .trim()
    .split(" ");
  const state = f[0];
  const ppid = Number(f[1]);
  const pgid = Number(f[2]);
  const startTime = f[19];
  if (!Number.isSafeInteger(pid) || !state || !Number.isSafeInteger(ppid) || !Number.isSafeInteger(pgid))
    return null;
  if (startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { pid, state, ppid, pgid, startTime };
}

/** A zombie has exited; only its parent has not collected it yet. For every purpose here it is dead. */
export function isZombie(stat: ProcStat): boolean {
  return stat.state === "Z" || stat.state === "X";
}

/** What identifies the processes of one run. */
export interface RunTarget {
  /** The run's marker (see marker.ts): every process whose environment carries it. */
  marker?: string | null;
  /** The agent's process group (its leader's pid). */
  pgid?: number | null;
  /** Processes that belong to the run whatever their environment (the agent leader, a runner). */
  pids?: readonly number[];
}

/**
 * The live processes of a run in a snapshot of the process table: the given pids, the members of
 * the group, the marked ones, and every descendant of those (a child that scrubbed its environment
 * is still found while its parent lives). Zombies and `exclude` (the caller itself) are left out.
 */
export function selectRunProcesses(
  table: readonly ProcStat[],
  isMarked: (pid: number) => boolean,
  target: RunTarget,
  exclude: readonly number[] = [],
): number[] {
  const pids = new Set(target.pids ?? []);
  const pgid = target.pgid ?? null;
  const picked = new Set<number>();
  const children = new Map<number, number[]>();
  for (const p of table) {
    if (isZombie(p)) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
    if (pids.has(p.pid) || (pgid !== null && p.pgid === pgid) || (target.marker && isMarked(p.pid)))
      picked.add(p.pid);
  }
  // Never a run's process, nor a root whose descendants would count: init (or a container's PID 1),
  // and the caller itself.
  const never = new Set([0, 1, ...exclude]);
  for (const pid of never) picked.delete(pid);
  const queue = [...picked];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of children.get(pid) ?? []) {
      if (picked.has(child) || never.has(child)) continue;
      picked.add(child);
      queue.push(child);
    }
  }
  return [...picked].sort((a, b) => a - b);
}
