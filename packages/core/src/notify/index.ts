// Notifications (issue 13): pure parts. The Node side (secrets from the environment, signing,
// delivery) is in src/node/notify/.
export { checkTargets, describeProblems, type NotifyConfigProblem } from "./check.js";
export { type NotifyEvent, notifyEvent, sampleEvent, webhookBody } from "./event.js";
export { formatRequest, headerValue, type NotifyRequest, slackEscape, USER_AGENT } from "./format.js";
export { formatResumeTime, type HumanMessage, humanMessage, messageText } from "./message.js";
export { REDACTED, redact } from "./redact.js";
export { type Env, type ResolvedTarget, type ResolveResult, resolveTargets } from "./resolve.js";
export {
  DEFAULT_NOTIFY_EVENTS,
  DEFAULT_NOTIFY_SETTINGS,
  DEFAULT_TELEGRAM_API_URL,
  NOTIFY_EVENTS,
  NOTIFY_SECTION,
  NOTIFY_TARGET_TYPES,
  type NotifyEventName,
  type NotifySettings,
  type NotifyTargetConfig,
  type NotifyTargetType,
  targetLabel,
  wantsEvent,
} from "./settings.js";
