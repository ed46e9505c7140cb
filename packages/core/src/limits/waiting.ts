/**
 * The wait persisted in state.json (`waiting`): a usage/rate limit the runner sleeps off, so `car
 * status` can show it and `car resume` after a crash honours what is left of it instead of calling
 * the agent at once; or the agent's NEEDS_INPUT question, waiting for a steering message (`message`
 * is the question, `until` when the loop gives up).
 */
import { NEEDS_INPUT_MAX_CHARS } from "../steer/needs-input.js";
import { clipText } from "../text.js";

export const WAITING_REASONS = ["rate_limit", "needs_input"] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

/**
 * Longest limit `message` kept (the agent's limit message, for status and notifications); a question
 * keeps what findNeedsInput kept (NEEDS_INPUT_MAX_CHARS), so status shows the whole of it.
 */
export const WAITING_MESSAGE_MAX_CHARS = 500;

export interface Waiting {
  reason: WaitingReason;
  /** ISO 8601: when the wait ends. */
  until: string;
  /** ISO 8601: when it started. */
  since: string;
  /** The limit message or the agent's question, bounded. */
  message?: string;
}

export function newWaiting(input: {
  reason?: WaitingReason;
  since: Date;
  until: Date;
  message?: string | null;
}): Waiting {
  const w: Waiting = {
    reason: input.reason ?? "rate_limit",
    until: isoSeconds(input.until, "ceil"),
    since: isoSeconds(input.since, "floor"),
  };
  const msg = input.message?.trim();
  const max = w.reason === "needs_input" ? NEEDS_INPUT_MAX_CHARS : WAITING_MESSAGE_MAX_CHARS;
  if (msg) w.message = clipText(msg, max);
  return w;
}

/**
 * `state.waiting` as read back: a Waiting, or null for null/absent/unusable values. The shape
 * written before this issue (`{until, message}`) is read as a rate-limit wait starting when it ends
 * would have been unknown, i.e. since = until (so remainingWait trusts only `until`).
 */
export function parseWaiting(value: unknown): Waiting | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (typeof o.until !== "string" || !Number.isFinite(Date.parse(o.until))) return null;
  const since = typeof o.since === "string" && Number.isFinite(Date.parse(o.since)) ? o.since : null;
  const reason = (WAITING_REASONS as readonly unknown[]).includes(o.reason)
    ? (o.reason as WaitingReason)
    : "rate_limit";
  const w: Waiting = { reason, until: o.until, since: since ?? o.until };
  if (typeof o.message === "string" && o.message !== "") w.message = o.message;
  return w;
}

/**
 * Milliseconds of the wait still to go at `now`: 0 once `until` has passed. Never more than the wait
 * was long (until − since), so a clock set back after a crash cannot stretch it; a legacy record
 * without `since` trusts `until` alone.
 */
export function remainingWait(waiting: Waiting | null | undefined, now: Date): number {
  if (!waiting) return 0;
  const until = Date.parse(waiting.until);
  const since = Date.parse(waiting.since);
  if (!Number.isFinite(until)) return 0;
  let left = until - now.getTime();
  if (Number.isFinite(since) && since < until) left = Math.min(left, until - since);
  return Math.max(0, left);
}

/** Whole seconds, rounded so the recorded wait never looks shorter than the real one. */
function isoSeconds(d: Date, round: "floor" | "ceil"): string {
  const s = (round === "ceil" ? Math.ceil : Math.floor)(d.getTime() / 1000);
  return new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");
}
