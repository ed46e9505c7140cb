import { z } from "zod";

/** zod shape of `RunCheckpointsRecord` (record.ts) for parseRunRecord; kept apart so record.ts needs no zod. */

const count = z.number().int().min(0);
const sha = z.string().regex(/^[0-9a-f]{40,64}$/);

const checkpoint = z.looseObject({ ref: z.string(), commit: sha, head: sha.nullable() });

const changedFile = z.looseObject({
  path: z.string(),
  status: z.enum(["added", "modified", "deleted", "renamed"]),
  from: z.string().optional(),
  additions: count,
  deletions: count,
  binary: z.boolean(),
});

export const runCheckpointsSchema = z.looseObject({
  before: checkpoint.nullable().default(null),
  after: checkpoint.nullable().default(null),
  changes: z
    .looseObject({
      files: z.array(changedFile),
      files_omitted: count.default(0),
      files_total: count,
      additions: count,
      deletions: count,
    })
    .nullable()
    .default(null),
});
