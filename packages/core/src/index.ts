// Pure part of @codex-autorunner/core: runs anywhere (Node, browsers). No node: imports here.

export * from "./codex/events.js";
export * from "./codex/failure.js";
export * from "./config/json-schema.js";
export * from "./config/literal-token.js";
export * from "./config/parse.js";
export * from "./config/reference.js";
export * from "./config/schema.js";
export { CONFIG_SPEC } from "./config/spec.js";
export type * from "./config/spec-types.js";
export { SCHEMA_MODELINE_PREFIX, type StarterOptions } from "./config/starter.js";
export * from "./config/token.js";
export * from "./contract/index.js";
export * from "./errors.js";
export * from "./log/format.js";
export * from "./log/index-format.js";
export * from "./log/terminal-safe.js";
export * from "./prompt/template.js";
export * from "./runs/record.js";
export * from "./state/transitions.js";
export * from "./todo/edit.js";
export * from "./todo/parse.js";
export * from "./types.js";
