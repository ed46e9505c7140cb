import type { LockInfo } from "../types.js";

/**
 * Whether the process a lock names still holds it, from what /proc tells about that PID (pure: the
 * Node side, node/lock.ts, supplies the facts). Every fact is read only when a rule needs it.
 *
 * - Another host's lock is held: its PIDs cannot be checked from here.
 * - A dead PID (a zombie counts as dead) does not hold it.
 * - Ours records the holder's start time (`pid_start`): another start time means the PID was reused.
 * - The original tool's JSON lock (`{pid, started_at, host}`, no `pid_start`) names a reused PID when
 *   that process started after `started_at`, or when its command line is not a runner's.
 * - The original's bare PID (no time at all) naming a live process is held: reuse cannot be told.
 */
export interface HolderProbe {
  /** The PID is a live process (not a zombie). */
  alive(): boolean;
  /** Its kernel start time (clock ticks since boot, /proc/<pid>/stat field 22); null: unknown. */
  startTicks(): string | null;
  /** Its start as wall-clock milliseconds since the epoch; null: unknown. */
  startedAtMs(): number | null;
  /** Its command line (argv); null: unknown (no /proc, or hidden). */
  argv(): string[] | null;
}

/** Slack for the start-time comparison: `started_at` is in whole seconds, the boot time too. */
const CLOCK_SLACK_MS = 2_000;
/** A `started_at` without a zone may be local time or UTC: allow the widest UTC offset. */
const UNZONED_SLACK_MS = 14 * 3_600_000;

export function isLockHeld(info: LockInfo, thisHost: string, probe: HolderProbe): boolean {
  if (info.host && info.host !== thisHost) return true;
  if (!probe.alive()) return false;
  if (info.pid_start) {
    const now = probe.startTicks();
    return now === null || now === info.pid_start;
  }
  if (info.started_at === null) return true; // bare PID
  const since = lockTimeMs(info.started_at);
  const started = since === null ? null : probe.startedAtMs();
  if (since !== null && started !== null) {
    const slack = since.zoned ? CLOCK_SLACK_MS : UNZONED_SLACK_MS;
    if (started > since.ms + slack) return false; // started after the lock was written
  }
  const argv = probe.argv();
  return argv === null || looksLikeRunner(argv);
}

/** `started_at` as milliseconds, and whether it named its zone (Z or ±hh:mm); null when unparseable. */
export function lockTimeMs(startedAt: string): { ms: number; zoned: boolean } | null {
  const text = startedAt.trim();
  if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(text)) return null;
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(text);
  // Without a zone, read it as UTC; the slack covers it having been local time.
  const ms = Date.parse(zoned ? text.replace(" ", "T") : `${text.replace(" ", "T")}Z`);
  return Number.isFinite(ms) ? { ms, zoned } : null;
}

/** Names a runner goes by: ours (`car`, `codex-autorunner`, `car-runner`, runner-main.js) and the original's. */
const RUNNER_NAMES = new Set(["car", "codex-autorunner", "codex_autorunner", "car-runner", "runner-main"]);
/**
 * The original's Python package as a module (`python3 -m codex_autorunner.cli`) or a path into it
 * (…/codex_autorunner/__main__.py), or a path into our npm scope (…/@codex-autorunner/cli/dist/bin.js).
 */
const RUNNER_WORD = /^codex_autorunner(?:\.\w+)*$|\/codex_autorunner\/|@codex-autorunner\//;

/**
 * Whether a command line is a runner's: the program, or the script or module an interpreter runs
 * (python, node), is codex-autorunner. Only the first three words count (`vim codex-autorunner.md` is
 * not a runner, `python3 -m codex_autorunner run` is).
 */
export function looksLikeRunner(argv: readonly string[]): boolean {
  return argv.slice(0, 3).some((word) => {
    const base = (word.split("/").at(-1) ?? "").replace(/\.(?:py|js|mjs|cjs)$/, "");
    return RUNNER_NAMES.has(base) || RUNNER_WORD.test(word);
  });
}
