/** One-line summaries of a run's record for lists and headers: its verification verdict and its changes. */
import type { RunRecord } from "@codex-autorunner/core";

export type Tone = "ok" | "error" | "warn" | "none";

/**
 * "passed", "failed test", "aborted", "not verified" (state's last_verify after an interrupted
 * verification) or "none" (no verification configured, or the run failed first).
 * Takes a run record's `verify` or the state's `last_verify` (which has no `aborted`).
 */
export function verifyVerdict(
  verify: { passed: boolean; failed_command: string | null; aborted?: boolean } | null,
): { text: string; tone: Tone } {
  if (!verify) return { text: "none", tone: "none" };
  if (verify.passed) return { text: "passed", tone: "ok" };
  if (verify.aborted) return { text: "aborted", tone: "warn" };
  // A failure always names its command; without one the run was not verified (interrupted).
  if (verify.failed_command === null) return { text: "not verified", tone: "warn" };
  return { text: `failed ${verify.failed_command}`, tone: "error" };
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "+12 −3, 2 files"; "no changes"; "—" when the run has no checkpoints (nothing is known). */
export function changesSummary(checkpoints: RunRecord["checkpoints"]): string {
  const c = checkpoints?.changes;
  if (!c) return "—";
  if (c.files_total === 0) return "no changes";
  return `+${c.additions} −${c.deletions}, ${plural(c.files_total, "file")}`;
}

/** Short commit id for display. */
export const shortSha = (sha: string | null): string => (sha ? sha.slice(0, 10) : "none");
