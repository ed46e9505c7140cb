import { z } from "zod";

/**
 * The on-disk records as the API sends them (types.ts has the same shapes as interfaces; the
 * contract's test checks both agree). Strict: a renamed or extra key fails the server's contract test.
 * Reading files is looser (runs/record.ts fills defaults for records written by older versions).
 */

const count = z.number().int().min(0);
const int = z.number().int();

export const runnerStatusSchema = z.enum(["idle", "running", "error"]);

export const tokenUsageSchema = z.strictObject({
  input_tokens: count,
  cached_input_tokens: count,
  output_tokens: count,
  reasoning_output_tokens: count,
  total_tokens: count,
});

export const todoCountsSchema = z.strictObject({ outstanding: count, done: count });

export const runRecordSchema = z.strictObject({
  id: count,
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().min(0).nullable(),
  exit_code: int.nullable(),
  signal: z.string().nullable(),
  outcome: z.enum(["completed", "failed", "killed", "timed_out", "stalled", "interrupted"]).nullable(),
  todo_before: todoCountsSchema,
  todo_after: todoCountsSchema.nullable(),
  backend: z.string(),
  attempts: int.min(1),
  thread_id: z.string().nullable(),
  final_message: z.string().nullable(),
  usage: tokenUsageSchema.nullable(),
  commands: z.array(z.strictObject({ command: z.string(), exit_code: int.nullable() })),
  files_changed: z.array(z.string()),
  commit: z.strictObject({ ok: z.boolean(), sha: z.string().nullable(), message: z.string() }).nullable(),
  error: z.string().nullable(),
});

export const lockInfoSchema = z.strictObject({
  pid: int,
  host: z.string(),
  started_at: z.string().nullable(),
  pid_start: z.string().nullable().optional(),
  token: z.string().nullable().optional(),
});
