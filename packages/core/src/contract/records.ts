import { z } from "zod";
import { AGENT_NAMES } from "../agents/names.js";

/**
 * The on-disk records as the API sends them (types.ts has the same shapes as interfaces; the
 * contract's test checks both agree). Strict: a renamed or extra key fails the server's contract test.
 * Reading files is looser (runs/record.ts fills defaults for records written by older versions).
 */

const count = z.number().int().min(0);
const int = z.number().int();

/** `codex` or `claude` (agents/names.ts). */
export const agentNameSchema = z.enum(AGENT_NAMES);

export const runnerStatusSchema = z.enum(["idle", "running", "waiting", "waiting_input", "error"]);

export const tokenUsageSchema = z.strictObject({
  input_tokens: count,
  cached_input_tokens: count,
  output_tokens: count,
  reasoning_output_tokens: count,
  total_tokens: count,
});

export const todoCountsSchema = z.strictObject({ outstanding: count, done: count });

const sha = z.string().regex(/^[0-9a-f]{40,64}$/);

/** One verify command's result (verify/result.ts: VerifyCommandResult). */
export const verifyCommandResultSchema = z.strictObject({
  name: z.string(),
  command: z.string(),
  exit_code: int.nullable(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  timeout_seconds: z.number().gt(0).nullable(),
  duration_ms: z.number().min(0),
  passed: z.boolean(),
  output_tail: z.string(),
});

/** A run's verification (verify/result.ts: VerifyRecord). */
export const verifyRecordSchema = z.strictObject({
  passed: z.boolean(),
  failed_command: z.string().nullable(),
  aborted: z.boolean(),
  commands: z.array(verifyCommandResultSchema),
  reopened: z.array(z.strictObject({ text: z.string(), line: count.min(1), added: z.boolean() })),
});

/** A checkpoint: its ref, commit and the HEAD it was taken at (checkpoint/record.ts). */
export const checkpointRecordSchema = z.strictObject({ ref: z.string(), commit: sha, head: sha.nullable() });

/** A file a run changed (checkpoint/changes.ts: ChangedFile). */
export const changedFileSchema = z.strictObject({
  path: z.string(),
  status: z.enum(["added", "modified", "deleted", "renamed"]),
  from: z.string().optional(),
  additions: count,
  deletions: count,
  binary: z.boolean(),
});

/** What a run changed, from its `before` checkpoint to its `after` (checkpoint/record.ts). */
export const runChangesSchema = z.strictObject({
  files: z.array(changedFileSchema),
  files_omitted: count,
  files_total: count,
  additions: count,
  deletions: count,
});

export const runCheckpointsSchema = z.strictObject({
  before: checkpointRecordSchema.nullable(),
  after: checkpointRecordSchema.nullable(),
  changes: runChangesSchema.nullable(),
});

export const rolledBackSchema = z.strictObject({
  at: z.string(),
  to_before_run: count.min(1),
  undo_command: z.string(),
});

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
  /** The agent that ran (its last attempt): `codex` or `claude`. */
  agent: agentNameSchema,
  /** The primary agent this run left for `runner.fallback_agent` while the primary sat out a usage limit. */
  fallback_from: agentNameSchema.nullable(),
  attempts: int.min(1),
  thread_id: z.string().nullable(),
  final_message: z.string().nullable(),
  usage: tokenUsageSchema.nullable(),
  /** What the agent says the run cost in US dollars (Claude Code's total_cost_usd); null: not reported. */
  cost_usd: z.number().min(0).nullable(),
  commands: z.array(z.strictObject({ command: z.string(), exit_code: int.nullable() })),
  files_changed: z.array(z.string()),
  commit: z.strictObject({ ok: z.boolean(), sha: z.string().nullable(), message: z.string() }).nullable(),
  error: z.string().nullable(),
  verify: verifyRecordSchema.nullable(),
  checkpoints: runCheckpointsSchema.nullable(),
  rolled_back: rolledBackSchema.nullable(),
  /** Ids of the steering messages this run's prompt carried, oldest first. */
  steering: z.array(z.string()),
  /** The agent's `NEEDS_INPUT:` question, if it asked one. */
  needs_input: z.string().nullable(),
  /** Time spent waiting out usage/rate limits during this run (ms). */
  limit_wait_ms: count,
});

export const lockInfoSchema = z.strictObject({
  pid: int,
  host: z.string(),
  started_at: z.string().nullable(),
  pid_start: z.string().nullable().optional(),
  token: z.string().nullable().optional(),
  purpose: z.literal("rollback").optional(),
});
