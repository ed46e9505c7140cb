import type { AgentName } from "./agents/names.js";
import type { RunCheckpointsRecord } from "./checkpoint/record.js";
import type { Waiting } from "./limits/waiting.js";
import type { VerifyRecord } from "./verify/result.js";

/**
 * Shared domain types: the on-disk contract (state.json, runs/<id>.json, lock) and the engine's
 * event stream. Every package speaks these, so they live in one small file.
 */

/**
 * "waiting": a live runner sits out a usage/rate limit (state.waiting says until when);
 * "waiting_input": it waits for a steering message answering the agent's NEEDS_INPUT question.
 */
export type RunnerStatus = "idle" | "running" | "waiting" | "waiting_input" | "error";

/** `.codex-autorunner/state.json` — field names are the original tool's. Times: ISO-8601 UTC, seconds. */
export interface RunnerState {
  last_run_id: number | null;
  status: RunnerStatus;
  last_exit_code: number | null;
  last_run_started_at: string | null;
  last_run_finished_at: string | null;
  runner_pid: number | null;
  /** Ours, optional: why the runner stopped in error ("agent exited 3", "no progress", "killed by SIGTERM"). */
  reason?: string | null;
  /**
   * Ours, optional: a wait in progress (a usage/rate limit, or the agent's question), shown by status;
   * kept when the runner dies so `car resume` honours what is left of a limit wait.
   */
  waiting?: Waiting | null;
  /** Ours, optional: the agent has been silent since `since`; the command it last started. */
  quiet?: RunQuiet | null;
  /** Ours, optional: the last notification that could not be delivered (no secrets in it). */
  notify_error?: NotifyFailure | null;
  /** Ours, optional: PID (= process group id) of the agent child while a run is in flight, so `kill`
   * from another process can end the agent's whole group. */
  agent_pid?: number | null;
  /** Ours, optional: the run's process marker (CAR_RUN_MARKER in the agent's environment), so `kill`,
   * recovery and status find every process of the run, even those in other sessions. */
  agent_marker?: string | null;
  /** Ours, optional: token usage summed over every run of every invocation (codex --json backend). */
  tokens_total?: TokenUsage | null;
  /** Ours, optional: cost in US dollars summed over every run whose agent reported one (Claude Code). */
  cost_total_usd?: number | null;
  /**
   * Ours, optional: agents sitting out a usage limit, until when (ISO 8601) and the agent's message;
   * runs go to runner.fallback_agent meanwhile. An entry whose time has passed means nothing.
   */
  agent_limits?: AgentLimits | null;
  /** Ours, optional: the last verification's verdict (verify.commands), kept across invocations. */
  last_verify?: LastVerify | null;
}

/** Usage limits per agent (state.json `agent_limits`). */
export type AgentLimits = Partial<Record<AgentName, { until: string; message: string }>>;

/** Written once a run has been silent for a while (QUIET_AFTER_MS), cleared when output resumes. */
export interface RunQuiet {
  run_id: number;
  /** ISO 8601: the last output or agent event. */
  since: string;
  /** The command the agent started last in this run (JSON backends), if any. */
  last_command: string | null;
}

/** A failed notification delivery: target label (never its URL), event, error (redacted), when. */
export interface NotifyFailure {
  target: string;
  event: string;
  error: string;
  at: string;
}

/** The last verification: which run, its verdict, and how many failed in a row up to it. */
export interface LastVerify {
  run_id: number;
  passed: boolean;
  failed_command: string | null;
  consecutive_failures: number;
  at: string;
}

export type RunOutcome = "completed" | "failed" | "killed" | "timed_out" | "stalled" | "interrupted";

export interface TokenUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

/** `.codex-autorunner/runs/<id>.json` — one record per run. */
export interface RunRecord {
  id: number;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  exit_code: number | null;
  /** Signal that ended the agent, when one did (e.g. "SIGKILL"). */
  signal: string | null;
  outcome: RunOutcome | null;
  todo_before: { outstanding: number; done: number };
  todo_after: { outstanding: number; done: number } | null;
  /** Output reader of the agent that ran ("plain", "codex-json" or "claude-json"). */
  backend: string;
  /** Ours: the agent that ran the run (its last attempt). */
  agent: AgentName;
  /** Ours: the primary agent this run left for runner.fallback_agent (it was usage-limited), else null. */
  fallback_from: AgentName | null;
  /** Attempts made for this run id (retries of transient failures keep the id). */
  attempts: number;
  /** Filled by the codex --json backend; null when unknowable. */
  thread_id: string | null;
  final_message: string | null;
  usage: TokenUsage | null;
  /** Ours: the run's cost in US dollars as the agent reports it (Claude Code), else null. */
  cost_usd: number | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  files_changed: string[];
  /** Git auto-commit result when enabled: sha, "nothing to commit", or the error text. */
  commit: { ok: boolean; sha: string | null; message: string } | null;
  error: string | null;
  /** Ours: the harness's verification after the run (null: none configured, or the run failed). */
  verify: VerifyRecord | null;
  /** Ours: the run's checkpoints and what it changed (null: git.checkpoints off, or not a git repo). */
  checkpoints: RunCheckpointsRecord | null;
  /** Ours: set when `car rollback` undid this run. */
  rolled_back: RolledBack | null;
  /** Ours: ids of the steering messages this run's prompt carried (`car steer`), oldest first. */
  steering: string[];
  /** Ours: the question the agent asked with a `NEEDS_INPUT:` line, if it did. */
  needs_input: string | null;
  /** Ours: time this run spent waiting out usage/rate limits, in ms (not counted as retries). */
  limit_wait_ms: number;
}

/** A rollback that undid a run: when, to before which run, and how to return. */
export interface RolledBack {
  at: string;
  to_before_run: number;
  undo_command: string;
}

/** `.codex-autorunner/lock` — ours is JSON; the original wrote a bare PID. */
export interface LockInfo {
  pid: number;
  host: string;
  started_at: string | null;
  /** Ours: process start time (from /proc/<pid>/stat) so a reused PID is detected as stale. */
  pid_start?: string | null;
  /** Ours: random per acquisition, so a runner can tell its lock from a later one of the same process. */
  token?: string | null;
  /**
   * Ours: set when the holder is not a runner but a short operation that must not be interrupted
   * (`car rollback`, possibly inside `car serve`): `kill` and `--force` refuse instead of ending it.
   */
  purpose?: "rollback";
}

export type LogStream = "stdout" | "stderr";

/** One parsed log line. `offset` is the byte offset of the line in the log file (a stable cursor). */
export type LogEntry =
  | { kind: "start"; runId: number; offset: number; raw: string }
  | { kind: "end"; runId: number; code: number | null; offset: number; raw: string }
  | { kind: "line"; runId: number; ts: string; stream: LogStream; line: string; offset: number; raw: string }
  | { kind: "other"; offset: number; raw: string };

export interface TodoCounts {
  outstanding: number;
  done: number;
}

/** Events the engine emits while it runs; the server forwards them, the CLI renders them. */
export type EngineEvent =
  | { type: "run.started"; runId: number; at: string; attempt: number; todo: TodoCounts }
  | { type: "run.ended"; runId: number; at: string; record: RunRecord }
  | { type: "log"; runId: number; ts: string; stream: LogStream; line: string }
  | { type: "state"; state: RunnerState }
  | { type: "retry"; runId: number; attempt: number; delayMs: number; reason: string }
  /** A usage/rate-limit wait (or the agent's question) began; `resumed` when it ends. */
  | { type: "waiting"; runId: number | null; waiting: Waiting }
  | { type: "resumed"; runId: number | null; reason: Waiting["reason"] }
  | { type: "loop.stopped"; reason: LoopStopReason; detail?: string };

export type LoopStopReason =
  | "todo_done"
  | "run_limit"
  | "wallclock"
  | "stop_requested"
  | "agent_failed"
  | "aborted"
  | "no_progress"
  | "token_budget"
  /** git.auto_commit is on and the commit after a run failed (e.g. a pre-commit hook refused it). */
  | "commit_failed"
  /** verify.on_fail stop, or max_consecutive_failures failing verifications in a row. */
  | "verify_failed"
  /** Usage/rate-limit waits used up runner.max_limit_wait_seconds. */
  | "limit_wait_exhausted"
  /** The agent asked a question (NEEDS_INPUT) and no answer came within runner.input_wait_seconds. */
  | "needs_input"
  | "error";
