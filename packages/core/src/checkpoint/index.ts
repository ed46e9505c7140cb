// Checkpoints, run diffs and rollback plans: the pure part (names, parsers, plan, record shape).
export * from "./changes.js";
export * from "./commit.js";
export * from "./patch.js";
export * from "./plan.js";
export * from "./record.js";
export * from "./refs.js";
