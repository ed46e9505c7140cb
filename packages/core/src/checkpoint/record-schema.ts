import { z } from "zod";
import { changedFileSchema, checkpointRecordSchema, runChangesSchema } from "../contract/records.js";
import type { RunCheckpointsRecord } from "./record.js";

/**
 * `checkpoints` in `runs/<id>.json`, as read back: the contract's strict shape (contract/records.ts)
 * made loose, with defaults; kept apart so record.ts needs no zod.
 */

const changes = runChangesSchema.shape;

export const runCheckpointsSchema = z.looseObject({
  before: z.looseObject(checkpointRecordSchema.shape).nullable().default(null),
  after: z.looseObject(checkpointRecordSchema.shape).nullable().default(null),
  changes: z
    .looseObject({
      ...changes,
      files: z.array(z.looseObject(changedFileSchema.shape)),
      files_omitted: changes.files_omitted.default(0),
    })
    .nullable()
    .default(null),
}) satisfies z.ZodType<RunCheckpointsRecord>;
