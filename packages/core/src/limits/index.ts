// Usage-limit and needs-input waits (issue 13): pure decisions.
export {
  DEFAULT_LIMIT_WAIT_SECONDS,
  DEFAULT_MAX_LIMIT_WAIT_SECONDS,
  LIMIT_WAIT_CAP_SECONDS,
  type LimitWaitInput,
  type LimitWaitPlan,
  planLimitWait,
  resetAtFrom,
} from "./plan.js";
export {
  newWaiting,
  parseWaiting,
  remainingWait,
  WAITING_MESSAGE_MAX_CHARS,
  WAITING_REASONS,
  type Waiting,
  type WaitingReason,
} from "./waiting.js";
