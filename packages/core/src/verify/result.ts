import type { ReopenedItem } from "./reopen.js";

/**
 * What verification found: one result per command that ran, and the verdict of the sequence. These
 * are the shapes of `verify` in `runs/<id>.json` (record-schema.ts validates them when read back).
 */

export interface VerifyCommandResult {
  name: string;
  /** The shell command as configured (`run`). */
  command: string;
  /** Its exit code; null when a signal ended it (or it never started). */
  exit_code: number | null;
  /** The signal that ended it, e.g. "SIGTERM" after a timeout. */
  signal: string | null;
  /** Killed for running over its time limit (a failure whatever its exit status). */
  timed_out: boolean;
  /** Its time limit in seconds, when it had one (for "timed out after N s"). */
  timeout_seconds: number | null;
  duration_ms: number;
  passed: boolean;
  /** The tail of its stdout and stderr as they came, bounded by `output_max_chars` (see tail.ts). */
  output_tail: string;
}

export interface VerifyVerdict {
  passed: boolean;
  /** Name of the command that failed (the sequence's last); null when it passed or was aborted. */
  failed_command: string | null;
}

/** One verification of a run: what runVerify returns. */
export interface VerifyOutcome extends VerifyVerdict {
  /** The commands that ran, in order; the sequence ends at the first failure. */
  commands: VerifyCommandResult[];
  /** Cut short by an abort: not a verdict on the work (passed is false, failed_command null). */
  aborted: boolean;
}

/** `verify` in `runs/<id>.json`: the outcome and the TODO items it reopened (on_fail: reopen). */
export interface VerifyRecord extends VerifyOutcome {
  reopened: ReopenedItem[];
}

/** A command passed when it exited 0 by itself, in time. */
export function commandPassed(r: Pick<VerifyCommandResult, "exit_code" | "signal" | "timed_out">): boolean {
  return r.exit_code === 0 && r.signal === null && !r.timed_out;
}

/**
 * The verdict of a sequence: passed when every command ran and passed. The first failure is the
 * failed command (a runner stops there; a longer list is judged the same way).
 */
export function verdictOf(
  results: readonly Pick<VerifyCommandResult, "name" | "passed">[],
  options: { aborted?: boolean; expected?: number } = {},
): VerifyVerdict {
  if (options.aborted) return { passed: false, failed_command: null };
  const failed = results.find((r) => !r.passed);
  if (failed) return { passed: false, failed_command: failed.name };
  // Fewer results than commands without a failure: the sequence did not finish, so it did not pass.
  if (options.expected !== undefined && results.length < options.expected)
    return { passed: false, failed_command: null };
  return { passed: true, failed_command: null };
}

export function verifyOutcome(results: VerifyCommandResult[], aborted: boolean): VerifyOutcome {
  return { ...verdictOf(results, { aborted }), commands: results, aborted };
}

/**
 * How a command ended, in a few words: "passed", "exit code 3", "timed out after 900 s",
 * "killed by SIGKILL". Used by the prompt block, log lines and `car verify`.
 */
export function describeResult(
  r: Pick<VerifyCommandResult, "passed" | "exit_code" | "signal" | "timed_out" | "timeout_seconds">,
): string {
  if (r.timed_out) return r.timeout_seconds !== null ? `timed out after ${r.timeout_seconds} s` : "timed out";
  if (r.passed) return "passed";
  if (r.signal !== null) return `killed by ${r.signal}`;
  if (r.exit_code !== null) return `exit code ${r.exit_code}`;
  return "could not run";
}

/** "1.2 s", "950 ms": a duration for people. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
