// One notification: what happened to the loop, in the shape webhook receivers get as JSON.
import type { TodoCounts, TokenUsage } from "../types.js";
import type { NotifyEventName } from "./settings.js";

export interface NotifyEvent {
  event: NotifyEventName;
  /** The repo's folder name and absolute path. */
  repo: { name: string; path: string };
  /** The run it is about (run_failed, run_finished, needs_input; the last run for loop_stopped). */
  run_id: number | null;
  /**
   * Why: the stop reason (loop_stopped: todo_done, run_limit, …), the run's outcome (run_failed:
   * failed, timed_out, stalled), the limit (waiting: usage_limit, rate_limit).
   */
  reason: string | null;
  /** Detail in words: the error, the limit's message, the agent's question (needs_input). */
  message: string | null;
  todo: TodoCounts | null;
  /** Tokens used (the run's, or the loop's total for loop_stopped); null when unknown. */
  usage: TokenUsage | null;
  /** waiting: when the runner resumes (ISO 8601); null otherwise or when unknown. */
  until: string | null;
  /** When it happened (ISO 8601, UTC). */
  at: string;
  /** Sent by `car notify test`, not by a loop. */
  test: boolean;
}

/** A NotifyEvent with the optional parts defaulted (null, `at` now, not a test). */
export function notifyEvent(
  fields: Pick<NotifyEvent, "event" | "repo"> & Partial<Omit<NotifyEvent, "event" | "repo">>,
): NotifyEvent {
  return {
    event: fields.event,
    repo: { name: fields.repo.name, path: fields.repo.path },
    run_id: fields.run_id ?? null,
    reason: fields.reason ?? null,
    message: fields.message ?? null,
    todo: fields.todo ? { done: fields.todo.done, outstanding: fields.todo.outstanding } : null,
    usage: fields.usage ?? null,
    until: fields.until ?? null,
    at: fields.at ?? new Date().toISOString(),
    test: fields.test ?? false,
  };
}

/**
 * The webhook's JSON body: `{event, repo: {name, path}, run_id, reason, message, todo: {done,
 * outstanding}, usage, until, at, test}`, keys always present and in this order (receivers and
 * signatures see the same bytes for the same event).
 */
export function webhookBody(e: NotifyEvent): string {
  return JSON.stringify({
    event: e.event,
    repo: { name: e.repo.name, path: e.repo.path },
    run_id: e.run_id,
    reason: e.reason,
    message: e.message,
    todo: e.todo ? { done: e.todo.done, outstanding: e.todo.outstanding } : null,
    usage: e.usage,
    until: e.until,
    at: e.at,
    test: e.test,
  });
}

/** A test event for `car notify test`: plausible values for the event, marked as a test. */
export function sampleEvent(event: NotifyEventName, repo: NotifyEvent["repo"], at?: string): NotifyEvent {
  const now = at ?? new Date().toISOString();
  const sample: Partial<NotifyEvent> = {
    loop_stopped: { reason: "todo_done", message: "every TODO item is done" },
    run_failed: { run_id: 1, reason: "failed", message: "the agent exited with code 1" },
    run_finished: { run_id: 1, reason: "completed" },
    waiting: {
      reason: "usage_limit",
      message: "usage limit reached",
      until: new Date(Date.parse(now) + 3_600_000).toISOString(),
    },
    resumed: { reason: "usage_limit" },
    needs_input: { run_id: 1, message: "Which database should the migration target?" },
  }[event];
  return notifyEvent({
    ...sample,
    event,
    repo,
    todo: { done: 3, outstanding: 2 },
    message: `Test notification from car notify test${sample.message ? `: ${sample.message}` : ""}`,
    at: now,
    test: true,
  });
}
