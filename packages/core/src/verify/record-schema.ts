import { z } from "zod";
import type { VerifyRecord } from "./result.js";

/**
 * `verify` in `runs/<id>.json`, as read back: for runs/record.ts's schema (`verify:
 * verifyRecordSchema.nullable().default(null)`). Kept apart from result.ts so the pure logic loads
 * without zod. Loose objects, like the rest of the record: fields added later survive a rewrite.
 */

const count = z.number().int().min(0);

const verifyCommandResultSchema = z.looseObject({
  name: z.string(),
  command: z.string(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable().default(null),
  timed_out: z.boolean().default(false),
  timeout_seconds: z.number().gt(0).nullable().default(null),
  duration_ms: z.number().min(0),
  passed: z.boolean(),
  output_tail: z.string().default(""),
});

export const verifyRecordSchema = z.looseObject({
  passed: z.boolean(),
  failed_command: z.string().nullable().default(null),
  aborted: z.boolean().default(false),
  commands: z.array(verifyCommandResultSchema).default([]),
  reopened: z
    .array(z.looseObject({ text: z.string(), line: count.min(1), added: z.boolean().default(false) }))
    .default([]),
}) satisfies z.ZodType<VerifyRecord>;
