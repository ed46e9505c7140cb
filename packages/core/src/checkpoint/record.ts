import type { ChangedFile } from "./changes.js";
import { totalLines } from "./changes.js";
import type { CheckpointInfo } from "./commit.js";

/**
 * What a run record (`runs/<id>.json`, snake_case like the rest of it) keeps about the run's
 * checkpoints: both refs and commits, the HEAD each was taken at, and what the run changed.
 */

export interface CheckpointRecord {
  ref: string;
  commit: string;
  /** HEAD when taken; null before the first commit. */
  head: string | null;
}

export interface RunChangesRecord {
  /** In path order; at most RECORD_MAX_FILES (the totals count every file). */
  files: ChangedFile[];
  /** Files left out of `files` to keep the record small. */
  files_omitted: number;
  files_total: number;
  additions: number;
  deletions: number;
}

export interface RunCheckpointsRecord {
  before: CheckpointRecord | null;
  after: CheckpointRecord | null;
  /** From `before` to `after`; null until both exist. */
  changes: RunChangesRecord | null;
}

/** A run that rewrites a generated tree can touch tens of thousands of files; the record lists this many. */
export const RECORD_MAX_FILES = 1000;

export function checkpointRecord(
  ref: string,
  info: Pick<CheckpointInfo, "commit" | "head">,
): CheckpointRecord {
  return { ref, commit: info.commit, head: info.head };
}

export function runChangesRecord(
  files: readonly ChangedFile[],
  maxFiles = RECORD_MAX_FILES,
): RunChangesRecord {
  const kept = files.slice(0, Math.max(0, maxFiles));
  return {
    files: kept,
    files_omitted: files.length - kept.length,
    files_total: files.length,
    ...totalLines(files),
  };
}
