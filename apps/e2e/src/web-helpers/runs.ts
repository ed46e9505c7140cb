/**
 * Runs as the engine leaves them for the diff and rollback views: core's real checkpoints taken around
 * real file edits, and a finished `runs/<id>.json` naming them (the record the runs list reads).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "@codex-autorunner/core";
import { diffRunCheckpoints, takeCheckpoint } from "@codex-autorunner/core/node";

export async function checkpointedRun(
  root: string,
  id: number,
  edit: () => void,
  verify: RunRecord["verify"] = null,
): Promise<RunRecord> {
  const started = new Date();
  const before = await takeCheckpoint(root, id, "before");
  edit();
  const after = await takeCheckpoint(root, id, "after");
  const diff = await diffRunCheckpoints(root, id);
  const record: RunRecord = {
    id,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    duration_ms: 1200,
    exit_code: 0,
    signal: null,
    outcome: "completed",
    todo_before: { outstanding: 3, done: 0 },
    todo_after: { outstanding: 3, done: 0 },
    backend: "plain",
    attempts: 1,
    thread_id: null,
    final_message: null,
    usage: null,
    commands: [],
    files_changed: diff.files.map((f) => f.path),
    commit: null,
    error: null,
    verify,
    checkpoints: {
      before: { ref: before.ref, commit: before.commit, head: before.head },
      after: { ref: after.ref, commit: after.commit, head: after.head },
      changes: {
        files: diff.files,
        files_omitted: 0,
        files_total: diff.files.length,
        additions: diff.additions,
        deletions: diff.deletions,
      },
    },
    rolled_back: null,
  };
  const runs = join(root, ".codex-autorunner", "runs");
  mkdirSync(runs, { recursive: true });
  writeFileSync(join(runs, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** A verification result as the engine records it: every command passed, or `failed` failed. */
export function verifyResult(failed: string | null): NonNullable<RunRecord["verify"]> {
  return {
    passed: failed === null,
    failed_command: failed,
    aborted: false,
    commands: [
      {
        name: failed ?? "test",
        command: "npm test",
        exit_code: failed ? 1 : 0,
        signal: null,
        timed_out: false,
        timeout_seconds: null,
        duration_ms: 900,
        passed: failed === null,
        output_tail: failed ? "1 failing test\nexpected 2, found 3" : "ok",
      },
    ],
    reopened: [],
  };
}
