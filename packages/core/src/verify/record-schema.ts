import { z } from "zod";
import { verifyRecordSchema as strict, verifyCommandResultSchema } from "../contract/records.js";
import type { VerifyRecord } from "./result.js";

/**
 * `verify` in `runs/<id>.json`, as read back: the contract's strict shape (contract/records.ts) made
 * loose, with defaults for fields a shorter record lacks; unknown keys survive a rewrite. Kept apart
 * from result.ts so the pure logic loads without zod.
 */

const c = verifyCommandResultSchema.shape;
const r = strict.shape;

const verifyCommandResultFile = z.looseObject({
  ...c,
  signal: c.signal.default(null),
  timed_out: c.timed_out.default(false),
  timeout_seconds: c.timeout_seconds.default(null),
  output_tail: c.output_tail.default(""),
});

const reopened = r.reopened.element.shape;

export const verifyRecordSchema = z.looseObject({
  passed: r.passed,
  failed_command: r.failed_command.default(null),
  aborted: r.aborted.default(false),
  commands: z.array(verifyCommandResultFile).default([]),
  reopened: z.array(z.looseObject({ ...reopened, added: reopened.added.default(false) })).default([]),
}) satisfies z.ZodType<VerifyRecord>;
