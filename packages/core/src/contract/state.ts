import { z } from "zod";
import { WAITING_REASONS } from "../limits/waiting.js";
import {
  agentNameSchema,
  lockInfoSchema,
  runnerStatusSchema,
  runRecordSchema,
  tokenUsageSchema,
} from "./records.js";

const int = z.number().int();
const count = int.min(0);

/**
 * What status shows: state.json's status, or `queued` while a hub holds a start for this repo
 * (`.codex-autorunner/hub/queued.json`) and no runner is alive.
 */
export const displayStatusSchema = z.enum([...runnerStatusSchema.options, "queued"]);
export type DisplayStatus = z.output<typeof displayStatusSchema>;

/** A start a hub queued behind its `max_concurrent_runs` cap: since when, and whether it is `--once`. */
export const queuedStartSchema = z.strictObject({ since: z.string(), once: z.boolean() });

/** One TODO item as status shows it. */
export const todoEntrySchema = z.strictObject({ text: z.string(), done: z.boolean(), line: int.min(1) });

/**
 * The one status shape: `GET /api/state`, the data of SSE `event: state`, and `car status --json`.
 * Built by core's `getStatus` (node/status.ts) only. state.json's own fields come first, then what is
 * derived from the lock's live PID (so a crashed runner never shows as running) and the other files.
 */
export const stateBodySchema = z.strictObject({
  /** Absolute path of the repository. */
  root: z.string(),
  /** state.json: the last run's id, exit code and times, as the runner wrote them. */
  last_run_id: int.nullable(),
  last_exit_code: int.nullable(),
  last_run_started_at: z.string().nullable(),
  last_run_finished_at: z.string().nullable(),
  /**
   * A wait in progress: a usage/rate limit (`reason: "rate_limit"`, resumes at `until`), or the
   * agent's question (`reason: "needs_input"`, `message` is the question, the loop gives up at
   * `until`). A limit wait stays after a killed runner: `car resume` honours what is left of it.
   */
  waiting: z
    .strictObject({
      reason: z.enum(WAITING_REASONS),
      until: z.string(),
      since: z.string(),
      message: z.string().nullable(),
    })
    .nullable(),
  /** The run in flight has been silent since `since`; the command the agent started last. */
  quiet: z
    .strictObject({ run_id: int.min(1), since: z.string(), last_command: z.string().nullable() })
    .nullable(),
  /** The last notification that could not be delivered (target label, event, error, when). */
  notify_error: z
    .strictObject({ target: z.string(), event: z.string(), error: z.string(), at: z.string() })
    .nullable(),
  /** PID (= process group) of the agent while a run is in flight, and the run's process marker. */
  agent_pid: int.nullable(),
  agent_marker: z.string().nullable(),
  /**
   * What to show: state.json's status, except that a dead runner is never "running" (then "error"),
   * and `queued` while a hub's start waits for a free slot (`queued`) and no runner is alive.
   */
  status: displayStatusSchema,
  /** A hub queued a start for this repo (its concurrency cap is reached); null otherwise. */
  queued: queuedStartSchema.nullable(),
  /** A live runner holds the lock. */
  running: z.boolean(),
  /** state.json says running but no runner is alive (crashed / killed -9). */
  stale: z.boolean(),
  /** Why the runner stopped in error, or that it died. */
  reason: z.string().nullable(),
  /** The live runner's PID, else null. */
  runner_pid: int.nullable(),
  /**
   * The runner is dead but processes of its run are still alive (its agent, what the agent started):
   * until its lifeline or `car kill` ends them, they may still change the repo and call the model.
   */
  orphaned_agent: z.strictObject({ pid: int.nullable(), processes: count }).nullable(),
  lock: z.strictObject({
    info: lockInfoSchema.nullable(),
    alive: z.boolean(),
    corrupt: z.string().optional(),
  }),
  /** A stop request is pending (the runner stops after its current run). */
  stop_requested: z.boolean(),
  /** TODO counts and items; the counts are null (and the items empty) when the TODO is unreadable. */
  outstanding_count: count.nullable(),
  done_count: count.nullable(),
  todo_items: z.array(todoEntrySchema),
  /** Why the TODO could not be read (missing file, unreadable, config broken), else null. */
  todo_error: z.string().nullable(),
  last_run: runRecordSchema.nullable(),
  /**
   * The last verification (verify.commands): its run, verdict and failures in a row; null: none yet.
   * `passed: false` with `failed_command: null`: that run was not verified (interrupted during it), so
   * its ticks do not count as done.
   */
  last_verify: z
    .strictObject({
      run_id: int.min(1),
      passed: z.boolean(),
      failed_command: z.string().nullable(),
      consecutive_failures: count,
      at: z.string(),
    })
    .nullable(),
  /** Tokens of the last run and summed over every run (codex --json backend), null when unknown. */
  tokens: z.strictObject({ last_run: tokenUsageSchema.nullable(), total: tokenUsageSchema.nullable() }),
  /** Cost in US dollars of the last run and summed over every run, as the agent reports it (Claude Code). */
  cost_usd: z.strictObject({ last_run: z.number().min(0).nullable(), total: z.number().min(0).nullable() }),
  /**
   * The agents: runner.agent (`primary`), runner.fallback_agent (`fallback`, null: none), the one the next
   * run goes to (`next`: the fallback while the primary sits out a usage limit), and the limits in force.
   * The run in flight names its agent in `last_run.agent`.
   */
  agents: z.strictObject({
    primary: agentNameSchema,
    fallback: agentNameSchema.nullable(),
    next: agentNameSchema,
    limits: z.array(z.strictObject({ agent: agentNameSchema, until: z.string(), message: z.string() })),
  }),
  /**
   * Why config.yml could not be used (`car status` still reports when it is broken; state, lock and
   * runs are at fixed paths, the TODO is not read). Null when it is fine.
   */
  config_error: z.string().nullable(),
});

export type StateBody = z.output<typeof stateBodySchema>;
export type TodoEntry = z.output<typeof todoEntrySchema>;

/**
 * The state of an initialised repo before its first run (no runner, nothing run, an empty TODO): a
 * starting point for clients' placeholders and for tests that vary one field at a time.
 */
export function emptyStateBody(root: string, patch: Partial<StateBody> = {}): StateBody {
  return {
    root,
    last_run_id: null,
    last_exit_code: null,
    last_run_started_at: null,
    last_run_finished_at: null,
    waiting: null,
    queued: null,
    quiet: null,
    notify_error: null,
    agent_pid: null,
    agent_marker: null,
    status: "idle",
    running: false,
    stale: false,
    reason: null,
    runner_pid: null,
    orphaned_agent: null,
    lock: { info: null, alive: false },
    stop_requested: false,
    outstanding_count: 0,
    done_count: 0,
    todo_items: [],
    todo_error: null,
    last_run: null,
    last_verify: null,
    tokens: { last_run: null, total: null },
    cost_usd: { last_run: null, total: null },
    agents: { primary: "codex", fallback: null, next: "codex", limits: [] },
    config_error: null,
    ...patch,
  };
}
