// Usage-limit waits (issue 13): pure decisions. Not exported from the package's entry points yet.
export {
  DEFAULT_LIMIT_WAIT_SECONDS,
  DEFAULT_MAX_LIMIT_WAIT_SECONDS,
  LIMIT_WAIT_CAP_SECONDS,
  LIMIT_WAIT_EXHAUSTED,
  type LimitWaitInput,
  type LimitWaitPlan,
  planLimitWait,
  resetAtFrom,
} from "./plan.js";
export {
  type LimitWaiting,
  newLimitWaiting,
  parseWaiting,
  remainingWait,
  WAITING_MESSAGE_MAX_CHARS,
  WAITING_REASONS,
  type WaitingReason,
} from "./waiting.js";
