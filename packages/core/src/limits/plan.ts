/**
 * Usage and rate limits are waits, not failures (issue 13): they never consume `runner.max_retries`.
 * The runner waits until the reset time the message gives (parsed by codex/failure.ts's
 * `parseRetryAfter`, surfaced as `retryAfterMs`), otherwise backs off from
 * `runner.limit_wait_seconds`, doubling per attempt, each wait capped at LIMIT_WAIT_CAP_SECONDS,
 * all within `runner.max_limit_wait_seconds` (null = no cap). Past the budget the loop stops with
 * `limit_wait_exhausted`.
 */

export const DEFAULT_LIMIT_WAIT_SECONDS = 60;
export const LIMIT_WAIT_CAP_SECONDS = 1800;
export const DEFAULT_MAX_LIMIT_WAIT_SECONDS = 43_200;

export interface LimitWaitInput {
  /** When the limit resets, if the message said; null/undefined → backoff. */
  resetAt?: Date | null;
  now: Date;
  /** Limit waits already made in this streak (0 for the first). */
  attempt: number;
  /** runner.limit_wait_seconds */
  baseSeconds?: number;
  /** Longest single backoff wait. */
  capSeconds?: number;
  /** runner.max_limit_wait_seconds; null = no cap. */
  budgetSeconds?: number | null;
  /** Time already spent waiting in this streak. */
  waitedSoFarMs: number;
}

export type LimitWaitPlan =
  | { exhausted: false; waitMs: number; until: Date; source: "reset" | "backoff" }
  | { exhausted: true; waitedMs: number; budgetMs: number };

export function planLimitWait(input: LimitWaitInput): LimitWaitPlan {
  const now = input.now.getTime();
  const base = (input.baseSeconds ?? DEFAULT_LIMIT_WAIT_SECONDS) * 1000;
  const cap = (input.capSeconds ?? LIMIT_WAIT_CAP_SECONDS) * 1000;
  const budgetSeconds =
    input.budgetSeconds === undefined ? DEFAULT_MAX_LIMIT_WAIT_SECONDS : input.budgetSeconds;
  const budget = budgetSeconds === null ? Number.POSITIVE_INFINITY : budgetSeconds * 1000;
  const waited = Math.max(0, input.waitedSoFarMs);
  const left = budget - waited;
  const exhausted = { exhausted: true as const, waitedMs: waited, budgetMs: budget };
  if (left <= 0) return exhausted;

  const reset = input.resetAt?.getTime();
  if (reset !== undefined && Number.isFinite(reset) && reset > now) {
    // Waiting part of the way to a known reset is pointless: the limit would still be there.
    const waitMs = reset - now;
    if (waitMs > left) return exhausted;
    return { exhausted: false, waitMs, until: new Date(reset), source: "reset" };
  }
  // No (usable) reset time: base × 2^attempt, capped per wait, the last one cut to the budget.
  const attempt = Math.max(0, Math.floor(input.attempt));
  const waitMs = Math.round(Math.min(base * 2 ** Math.min(attempt, 52), cap, left));
  return { exhausted: false, waitMs, until: new Date(now + waitMs), source: "backoff" };
}

/** The reset moment of a classified failure's `retryAfterMs` (measured at `classifiedAt`), or null. */
export function resetAtFrom(retryAfterMs: number | undefined | null, classifiedAt: Date): Date | null {
  if (
    retryAfterMs === undefined ||
    retryAfterMs === null ||
    !Number.isFinite(retryAfterMs) ||
    retryAfterMs < 0
  ) {
    return null;
  }
  return new Date(classifiedAt.getTime() + retryAfterMs);
}
