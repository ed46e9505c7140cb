import { describeResult, type VerifyOutcome, type VerifyVerdict } from "./result.js";
import type { VerifySettings } from "./settings.js";

/**
 * What the loop does after a run's verification: the consecutive-failure counter and the decision.
 *   passed              → counter 0; the run may be committed.
 *   failed, reopen      → untick what the run ticked, no commit, the failure goes into the next
 *                         prompt; stop (verify_failed) once the counter reaches max_consecutive_failures.
 *   failed, stop        → stop (verify_failed) now; no commit, the TODO as the agent left it.
 *   failed, continue    → record only: committed as usual, the loop goes on.
 *   aborted             → no verdict: counter unchanged, nothing reopened or committed (the loop is
 *                         stopping for the abort anyway).
 */

export const VERIFY_STOP_REASON = "verify_failed" as const;

export interface VerifyDecision {
  /** Failing verifications in a row, this one included (0 after a pass). */
  consecutive_failures: number;
  /** Untick the TODO items the run ticked (reopenTickedItems). */
  reopen: boolean;
  /** The run's git auto-commit may be made (when enabled). */
  commit: boolean;
  /** Stop the loop: reason verify_failed, status error, exit 1. */
  stop: { reason: typeof VERIFY_STOP_REASON; detail: string } | null;
}

export function decideAfterVerify(
  settings: Pick<VerifySettings, "on_fail" | "max_consecutive_failures">,
  failuresBefore: number,
  outcome: VerifyOutcome,
): VerifyDecision {
  if (outcome.aborted)
    return { consecutive_failures: failuresBefore, reopen: false, commit: false, stop: null };
  if (outcome.passed) return { consecutive_failures: 0, reopen: false, commit: true, stop: null };
  const n = failuresBefore + 1;
  const what = failureText(outcome);
  switch (settings.on_fail) {
    case "continue":
      return { consecutive_failures: n, reopen: false, commit: true, stop: null };
    case "stop":
      return {
        consecutive_failures: n,
        reopen: false,
        commit: false,
        stop: { reason: VERIFY_STOP_REASON, detail: `verification failed: ${what}` },
      };
    case "reopen":
      return {
        consecutive_failures: n,
        reopen: true,
        commit: false,
        stop:
          n >= settings.max_consecutive_failures
            ? {
                reason: VERIFY_STOP_REASON,
                detail: `verification failed ${n} run${n === 1 ? "" : "s"} in a row (last: ${what})`,
              }
            : null,
      };
  }
}

/** "test: exit code 3", or the verdict's command alone when its result is not in the outcome. */
function failureText(outcome: VerifyOutcome): string {
  const name = outcome.failed_command;
  const r = outcome.commands.findLast((c) => c.name === name && !c.passed);
  if (!r) return name ?? "unknown command";
  return `${r.name}: ${describeResult(r)}`;
}

/**
 * The loop is done when nothing is outstanding and the last verification passed. With `continue`
 * the verdict is a record only and does not hold the loop; `last` null means no verification ran
 * (none configured, or a run recorded before verification existed).
 */
export function isVerifiedDone(
  outstanding: number,
  onFail: VerifySettings["on_fail"],
  last: VerifyVerdict | null | undefined,
): boolean {
  if (outstanding > 0) return false;
  return last == null || last.passed || onFail === "continue";
}
