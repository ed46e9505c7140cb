// Checkpoints, run diffs and rollback: the git I/O (see ../../checkpoint for the pure part).
export { RunCheckpoints } from "./around-run.js";
export {
  DEFAULT_PATCH_MAX_BYTES,
  type DiffOptions,
  diffFiles,
  diffRun,
  diffRunCheckpoints,
  type RunDiff,
} from "./diff.js";
export { type RollbackOptions, type RollbackResult, rollback, undoRollback } from "./rollback.js";
export {
  type RollbackRunOptions,
  type RunDiffBodyOptions,
  rollbackRun,
  runDiffBody,
  undoRollbackRun,
} from "./run-api.js";
export { readCheckpoint, type TakenCheckpoint, takeCheckpoint } from "./take.js";
