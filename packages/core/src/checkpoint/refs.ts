import { CarError } from "../errors.js";

/**
 * Where checkpoints live: plain git refs under `refs/car/`, outside refs/heads and refs/tags, so no
 * branch listing, push or fetch shows them (a `git push --mirror` would), and `git gc` keeps what they
 * point at.
 */

const CHECKPOINT_PHASES = ["before", "after"] as const;
export type CheckpointPhase = (typeof CHECKPOINT_PHASES)[number];

export const RUN_CHECKPOINTS_PREFIX = "refs/car/runs/";
const ROLLBACKS_PREFIX = "refs/car/rollbacks/";

function checkRunId(runId: number): void {
  if (!Number.isSafeInteger(runId) || runId < 1) {
    throw new CarError("INVALID_ARGUMENT", `A run id is a positive whole number, not ${String(runId)}.`, {
      key: "run",
      expected: "a positive integer",
      found: String(runId),
    });
  }
}

/** `refs/car/runs/<id>/before` or `.../after`. */
export function runCheckpointRef(runId: number, phase: CheckpointPhase): string {
  checkRunId(runId);
  if (!CHECKPOINT_PHASES.includes(phase)) {
    throw new CarError(
      "INVALID_ARGUMENT",
      `A checkpoint phase is "before" or "after", not ${String(phase)}.`,
      {
        key: "phase",
        expected: CHECKPOINT_PHASES.join(" | "),
        found: String(phase),
      },
    );
  }
  return `${RUN_CHECKPOINTS_PREFIX}${runId}/${phase}`;
}

/** The run id and phase of a run checkpoint ref; null for any other ref. */
export function parseRunCheckpointRef(ref: string): { runId: number; phase: CheckpointPhase } | null {
  const m = /^refs\/car\/runs\/([1-9]\d*)\/(before|after)$/.exec(ref);
  if (!m) return null;
  const runId = Number(m[1]);
  return Number.isSafeInteger(runId) ? { runId, phase: m[2] as CheckpointPhase } : null;
}

/**
 * `2026-01-01T12-34-56.789Z`: sortable, readable, and a valid ref component (no `:`). `attempt` > 0
 * appends `-<attempt>` for two rollbacks within the same millisecond.
 */
export function rollbackStamp(at: Date, attempt = 0): string {
  const base = at.toISOString().replace(/:/g, "-");
  return attempt > 0 ? `${base}-${attempt}` : base;
}

export function rollbackRef(stamp: string): string {
  if (!/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z(-\d+)?$/.test(stamp)) {
    throw new CarError("INVALID_ARGUMENT", `Not a rollback stamp: ${JSON.stringify(stamp)}.`, {
      key: "rollback",
      expected: "a stamp like 2026-01-01T12-34-56.789Z",
      found: stamp,
    });
  }
  return `${ROLLBACKS_PREFIX}${stamp}`;
}

/**
 * The command line that returns the work tree to a rollback's undo checkpoint (what the CLI prints
 * after a rollback). One definition, so the CLI's wording and its argument parser cannot drift apart.
 */
export function undoCommand(stamp: string): string {
  return `car rollback --undo ${stamp}`;
}
