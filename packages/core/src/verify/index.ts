// Verification gates (issue 12): pure decisions. The Node side (running the commands) is in
// src/node/verify/. Not exported from the package's entry points yet.
export { decideAfterVerify, isVerifiedDone, VERIFY_STOP_REASON, type VerifyDecision } from "./gate.js";
export {
  formatVerifyEnd,
  formatVerifyOutput,
  formatVerifyStart,
  formatVerifyVerdict,
  parseVerifyOutput,
  type VerifyLogLine,
} from "./log.js";
export {
  oneLine,
  renderVerifyFailed,
  type VerifyFailure,
  verifyFailureForPrompt,
  verifyPlaceholderValue,
} from "./prompt.js";
export { type ReopenedItem, type ReopenResult, reopenTickedItems } from "./reopen.js";
export {
  commandPassed,
  describeResult,
  formatDuration,
  type VerifyCommandResult,
  type VerifyOutcome,
  type VerifyRecord,
  type VerifyVerdict,
  verdictOf,
  verifyOutcome,
} from "./result.js";
export {
  DEFAULT_VERIFY_SETTINGS,
  effectiveTimeoutSeconds,
  VERIFY_NAME_PATTERN,
  VERIFY_ON_FAIL,
  VERIFY_SECTION,
  type VerifyCommand,
  type VerifyOnFail,
  type VerifySectionValue,
  type VerifySettings,
  verifyEnabled,
} from "./settings.js";
export { cutNote, OutputTail, tailText } from "./tail.js";
