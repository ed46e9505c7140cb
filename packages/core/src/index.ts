// Public API of @codex-autorunner/core's pure part: runs anywhere (Node, browsers), no node: imports.
// Every name is listed on purpose (packages/core/README.md documents them); modules not named here are
// internal and may change without notice. The Node part (`./node`) re-exports all of this.

// Claude Code's `-p --output-format stream-json` events and failures, for tools that read runs/<id>.jsonl.
export {
  type ClaudeRunSummary,
  claudeTokenUsage,
  createClaudeAccumulator,
} from "./agents/claude/events.js";
export { type ClaudeFailureClass, classifyClaudeFailure } from "./agents/claude/failure.js";
// The agents car can run (issue 15).
export { AGENT_NAMES, type AgentName, isAgentName } from "./agents/names.js";
// Verification gates and checkpoints (issue 12): settings, results and record shapes.
export {
  type ChangedFile,
  type PatchCut,
  type RollbackPlan,
  type RunCheckpointsRecord,
  rollbackRef,
  runCheckpointRef,
  undoCommand,
} from "./checkpoint/index.js";
// Codex's `exec --json` events, for tools that read runs/<id>.jsonl.
export {
  type CodexEvent,
  type CodexRunSummary,
  createCodexAccumulator,
  parseCodexEvent,
} from "./codex/events.js";
export { type CodexFailureClass, type CodexFailureKind, classifyCodexFailure } from "./codex/failure.js";
export { configJsonSchema, renderConfigJsonSchema } from "./config/json-schema.js";
export { configHoldsAuthToken } from "./config/literal-token.js";
// Config: the one definition of every key, the parser and what is generated from the definition.
export { deepMerge } from "./config/merge.js";
export { type ParsedConfig, parseConfig, setConfigValue, unknownConfigKeys } from "./config/parse.js";
export { renderConfigReference } from "./config/reference.js";
export { buildConfigSchema, configSchema, DEFAULT_CONFIG } from "./config/schema.js";
export {
  CONFIG_SPEC,
  type Config,
  DEFAULT_CHAT_ARGS,
  DEFAULT_CLAUDE_ARGS,
  DEFAULT_CLAUDE_CHAT_ARGS,
  DEFAULT_CODEX_ARGS,
  type ExtraDocConfig,
  LEGACY_CODEX_ARGS,
} from "./config/spec.js";
export type * from "./config/spec-types.js";
export { renderDefaultConfigYaml, SCHEMA_MODELINE_PREFIX, type StarterOptions } from "./config/starter.js";
export { describeTokenProblem, isUsableToken, MIN_TOKEN_LENGTH, TOKEN_EXPECTED } from "./config/token.js";
// The HTTP + SSE contract (routes, bodies, answers, errors, events, the status shape).
export * from "./contract/index.js";
// Errors.
export { CarError, type CarErrorDetails, ERROR_CODES, type ErrorCode, isCarError } from "./errors.js";
// The hub (issue 14): hub.yml, repo ids, the start queue, repo cards.
export * from "./hub/index.js";
export * from "./limits/index.js";
// The log: line grammar, index format, terminal-safe printing.
export {
  type ClassifiedLogLine,
  classifyLogLine,
  formatEndMarker,
  formatLogLine,
  formatNoteLine,
  formatStartMarker,
  formatTimestamp,
  type LogLineKind,
  parseLogLine,
  sanitizeAgentLine,
} from "./log/format.js";
export { formatIndexEntry, type IndexEntry, parseIndex } from "./log/index-format.js";
export { makeTerminalSafe } from "./log/terminal-safe.js";
export * from "./notify/index.js";
// Prompt.
export {
  buildChatPrompt,
  buildPrompt,
  type ChatPromptInput,
  DEFAULT_PROMPT_TEMPLATE,
  findUnknownPlaceholders,
  PROMPT_PLACEHOLDERS,
  type PromptDoc,
  type PromptExtra,
  type PromptInput,
  type PromptPlaceholder,
  renderTemplate,
} from "./prompt/template.js";
export { finishRunRecord, newRunRecord, parseRunRecord } from "./runs/record.js";
// Files the runner writes: state.json and runs/<id>.json.
export { type DerivedStatus, deriveStatus, parseState } from "./state/transitions.js";
export * from "./steer/index.js";
export { formatUsd } from "./text.js";
// TODO grammar and edits.
export { appendTodo, setTodoDone } from "./todo/edit.js";
export { countTodo, firstOutstanding, parseTodo, type TodoItem } from "./todo/parse.js";
export type {
  EngineEvent,
  LockInfo,
  LogEntry,
  LogStream,
  LoopStopReason,
  RunnerState,
  RunnerStatus,
  RunOutcome,
  RunRecord,
  TodoCounts,
  TokenUsage,
} from "./types.js";
export {
  DEFAULT_VERIFY_SETTINGS,
  describeResult,
  formatDuration,
  parseVerifyOutput,
  type VerifyCommand,
  type VerifyCommandResult,
  type VerifyOnFail,
  type VerifyRecord,
  type VerifySettings,
  type VerifyVerdict,
} from "./verify/index.js";
