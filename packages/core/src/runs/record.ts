import { z } from "zod";
import type { AgentName } from "../agents/names.js";
import { runCheckpointsSchema } from "../checkpoint/record-schema.js";
import { runRecordSchema as contractRunRecordSchema } from "../contract/records.js";
import { CarError } from "../errors.js";
import { formatTimestamp } from "../log/format.js";
import type { RunOutcome, RunRecord, TodoCounts, TokenUsage } from "../types.js";
import { verifyRecordSchema } from "../verify/record-schema.js";

/** `runs/<id>.json`: one record per run. Pure helpers; the node part reads and writes the files. */

type At = Date | string;
const stamp = (at: At | undefined): string =>
  typeof at === "string" ? at : formatTimestamp(at ?? new Date());

export function newRunRecord(opts: {
  id: number;
  startedAt?: At;
  todoBefore: TodoCounts;
  backend: string;
  agent?: AgentName;
  attempts?: number;
}): RunRecord {
  return {
    id: opts.id,
    started_at: stamp(opts.startedAt),
    finished_at: null,
    duration_ms: null,
    exit_code: null,
    signal: null,
    outcome: null,
    todo_before: { outstanding: opts.todoBefore.outstanding, done: opts.todoBefore.done },
    todo_after: null,
    backend: opts.backend,
    agent: opts.agent ?? "codex",
    fallback_from: null,
    attempts: opts.attempts ?? 1,
    thread_id: null,
    final_message: null,
    usage: null,
    cost_usd: null,
    commands: [],
    files_changed: [],
    commit: null,
    error: null,
    verify: null,
    checkpoints: null,
    rolled_back: null,
    steering: [],
    needs_input: null,
    limit_wait_ms: 0,
  };
}

/** Tokens of two runs or attempts added up (null + null = null). */
export function addUsage(
  a: TokenUsage | null | undefined,
  b: TokenUsage | null | undefined,
): TokenUsage | null {
  if (!a) return b ? { ...b } : null;
  if (!b) return { ...a };
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** What the agent backend learnt about the run (AgentRunSummary minus the failure). */
export interface RunSummaryFields {
  thread_id?: string | null;
  final_message?: string | null;
  usage?: TokenUsage | null;
  commands?: Array<{ command: string; exit_code: number | null }>;
  files_changed?: string[];
}

export function finishRunRecord(
  record: RunRecord,
  opts: {
    finishedAt?: At;
    /** Measured with a monotonic clock by the caller; else derived from the two timestamps. */
    durationMs?: number;
    exitCode: number | null;
    signal?: string | null;
    outcome: RunOutcome;
    todoAfter: TodoCounts | null;
    summary?: RunSummaryFields;
    commit?: RunRecord["commit"];
    error?: string | null;
    attempts?: number;
  },
): RunRecord {
  const finished_at = stamp(opts.finishedAt);
  const derived = Date.parse(finished_at) - Date.parse(record.started_at);
  const duration_ms = opts.durationMs ?? (Number.isFinite(derived) ? Math.max(0, derived) : null);
  const s = opts.summary ?? {};
  return {
    ...record,
    finished_at,
    duration_ms,
    exit_code: opts.exitCode,
    signal: opts.signal ?? null,
    outcome: opts.outcome,
    todo_after: opts.todoAfter
      ? { outstanding: opts.todoAfter.outstanding, done: opts.todoAfter.done }
      : null,
    attempts: opts.attempts ?? record.attempts,
    thread_id: s.thread_id !== undefined ? s.thread_id : record.thread_id,
    final_message: s.final_message !== undefined ? s.final_message : record.final_message,
    usage: s.usage !== undefined ? s.usage : record.usage,
    commands: s.commands ?? record.commands,
    files_changed: s.files_changed ?? record.files_changed,
    commit: opts.commit !== undefined ? opts.commit : record.commit,
    error: opts.error !== undefined ? opts.error : record.error,
  };
}

/** A run the record says never finished (runner crashed): close it as interrupted. */
export function interruptRunRecord(record: RunRecord, at?: At): RunRecord {
  return finishRunRecord(record, {
    finishedAt: at,
    exitCode: null,
    outcome: "interrupted",
    todoAfter: null,
    error: record.error ?? "runner stopped before the run finished",
  });
}

export function serializeRunRecord(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

const count = z.number().int().min(0);
const todoCounts = z.looseObject({ outstanding: count, done: count });
const usage = z.looseObject({
  input_tokens: count,
  cached_input_tokens: count.default(0),
  output_tokens: count,
  reasoning_output_tokens: count.default(0),
  total_tokens: count,
});
// The API's strict shape (contract/records.ts), loosened for files: fields added after the first
// version default, unknown keys are kept, nested objects are loose.
const strict = contractRunRecordSchema.shape;
const runRecordSchema = z.looseObject({
  id: strict.id,
  started_at: strict.started_at,
  finished_at: strict.finished_at.default(null),
  duration_ms: strict.duration_ms.default(null),
  exit_code: strict.exit_code.default(null),
  signal: strict.signal.default(null),
  outcome: strict.outcome.default(null),
  todo_before: todoCounts,
  todo_after: todoCounts.nullable().default(null),
  backend: strict.backend.default("plain"),
  // Records from before issue 15: only Codex ran.
  agent: strict.agent.default("codex"),
  fallback_from: strict.fallback_from.default(null),
  attempts: strict.attempts.default(1),
  thread_id: strict.thread_id.default(null),
  final_message: strict.final_message.default(null),
  usage: usage.nullable().default(null),
  cost_usd: strict.cost_usd.default(null),
  commands: z
    .array(z.looseObject({ command: z.string(), exit_code: z.number().int().nullable() }))
    .default([]),
  files_changed: strict.files_changed.default([]),
  commit: z
    .looseObject({ ok: z.boolean(), sha: z.string().nullable(), message: z.string() })
    .nullable()
    .default(null),
  error: strict.error.default(null),
  verify: verifyRecordSchema.nullable().default(null),
  checkpoints: runCheckpointsSchema.nullable().default(null),
  rolled_back: z.looseObject(strict.rolled_back.unwrap().shape).nullable().default(null),
  steering: strict.steering.default([]),
  needs_input: strict.needs_input.default(null),
  limit_wait_ms: strict.limit_wait_ms.default(0),
});

/** Parse runs/<id>.json; fields added after the first version may be missing (defaults). */
export function parseRunRecord(text: string, file: string): RunRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CarError(
      "RUN_RECORD_CORRUPT",
      `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      { file },
    );
  }
  const result = runRecordSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.map(String).join(".") || "(top level)";
    throw new CarError("RUN_RECORD_CORRUPT", `${file}: ${key}: ${issue.message}`, { file, key });
  }
  return result.data as RunRecord;
}
