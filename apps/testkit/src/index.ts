// @codex-autorunner/testkit: helpers for tests. Each module appends its own export line.
export {};
export * from "./paths.js";
export * from "./proc.js";
export * from "./repo.js";
export * from "./model-server/index.js";
