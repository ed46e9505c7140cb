// Node part of @codex-autorunner/core (files, processes, locks). Each module appends its own export line.
export * from "../index.js";
export * from "./agent/backend.js";
