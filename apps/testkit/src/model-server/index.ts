export { describeMessagesRequest } from "./anthropic.js";
export * from "./claude.js";
export * from "./codex.js";
export * from "./run-agent.js";
export * from "./server.js";
export * from "./steps.js";
export * from "./types.js";
