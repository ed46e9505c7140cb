// `@codex-autorunner/core/node/lite`: the part of the Node API that read-only commands need (`car status`,
// `car log`), without zod (the full config parser and the run-record schema load on demand). The same
// functions as `@codex-autorunner/core/node` (one build, shared chunks), so errors and results are identical.
export { AGENT_NAMES, type AgentName } from "../agents/names.js";
export { CarError, isCarError } from "../errors.js";
export { makeTerminalSafe } from "../log/terminal-safe.js";
export { formatUsd } from "../text.js";
export { loadConfig } from "./config-io.js";
export { followLog } from "./log/follow.js";
export { LogReader } from "./log/reader.js";
export { carPaths, findRepoRoot } from "./paths.js";
export { getStatus, loadConfigLenient } from "./status.js";
