// @codex-autorunner/testkit: helpers for tests. Each module appends its own export line.
export {};
