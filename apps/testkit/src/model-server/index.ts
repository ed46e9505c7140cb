export * from "./codex.js";
export * from "./server.js";
export * from "./steps.js";
export * from "./types.js";
