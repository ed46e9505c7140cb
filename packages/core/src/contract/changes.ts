import { z } from "zod";
import { changedFileSchema, checkpointRecordSchema } from "./records.js";

/**
 * What a run changed and what a rollback does: the bodies of `GET /api/runs/:id/diff` and
 * `POST /api/runs/:id/rollback`, and of `car diff --json` / `car rollback --json` (the same
 * functions build both: core's node/checkpoint/run-api.ts).
 */

const count = z.number().int().min(0);
const int = z.number().int();

export const runDiffBodySchema = z.strictObject({
  run_id: int.min(1),
  before: checkpointRecordSchema,
  after: checkpointRecordSchema,
  /** Every changed file, in path order (never cut). */
  files: z.array(changedFileSchema),
  additions: count,
  deletions: count,
  /** Unified diff, cut at a line end when longer than the requested size. */
  patch: z.string(),
  /** Set when the patch was cut: where, and which files it does not reach. */
  cut: z
    .strictObject({
      shown_bytes: count,
      last_file: z.string().nullable(),
      omitted_files: z.array(z.string()),
    })
    .nullable(),
});

const headPlanSchema = z.strictObject({
  /** The branch set back, or null: HEAD is detached at `to`. */
  branch: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
});

export const rollbackBodySchema = z.strictObject({
  /** The run rolled back to before. */
  run_id: int.min(1),
  dry_run: z.boolean(),
  /** Nothing differed: nothing changed, no undo checkpoint. */
  nothing_to_do: z.boolean(),
  /** Runs undone (this one and every later run with a checkpoint). */
  runs_undone: z.array(int.min(1)),
  /** Files written back with their content before the run. */
  restore: z.array(z.strictObject({ path: z.string(), was: z.enum(["modified", "deleted"]) })),
  /** Files created since, removed. */
  remove: z.array(z.string()),
  /** Ignored under the snapshot's rules: left alone. */
  keep: z.array(z.string()),
  /** Where HEAD's branch goes back to; null when it stays. */
  head: headPlanSchema.nullable(),
  /** What was staged is set back too. */
  index: z.boolean(),
  /** Where the state before the rollback was kept, and the command that returns to it (null on a dry run). */
  undo: z
    .strictObject({ ref: z.string(), stamp: z.string(), commit: z.string(), command: z.string() })
    .nullable(),
});

/**
 * `car rollback --undo <stamp> --json`: back to the state a rollback replaced. The rollback's plan
 * shape without a run (`run_id`, `runs_undone`); `undo` is where THIS step's starting state was kept.
 */
export const undoRollbackBodySchema = rollbackBodySchema.omit({ run_id: true, runs_undone: true }).extend({
  /** The rollback undone (its stamp, as `car rollback --undo` takes it). */
  stamp: z.string(),
  /** Runs whose `rolled_back` pointed at that rollback; it is cleared. */
  runs_restored: z.array(int.min(1)),
});

export type RunDiffBody = z.output<typeof runDiffBodySchema>;
export type RollbackBody = z.output<typeof rollbackBodySchema>;
export type UndoRollbackBody = z.output<typeof undoRollbackBodySchema>;
