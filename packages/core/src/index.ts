// Pure part of @codex-autorunner/core: runs anywhere (Node, browsers). No node: imports here.
export * from "./errors.js";
export * from "./types.js";
