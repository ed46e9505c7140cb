/**
 * Runs as the engine leaves them for the diff and rollback views: core's real checkpoints taken around
 * real file edits, and a finished `runs/<id>.json` naming them (the record the runs list reads).
 */
import { finishRunRecord, newRunRecord, type RunRecord } from "@codex-autorunner/core";
import { carPaths, RunCheckpoints, writeRunRecord } from "@codex-autorunner/core/node";

export async function checkpointedRun(
  root: string,
  id: number,
  edit: () => void,
  verify: RunRecord["verify"] = null,
): Promise<RunRecord> {
  const todo = { outstanding: 3, done: 0 };
  const started = newRunRecord({ id, todoBefore: todo, backend: "plain" });
  // The engine's own checkpoint pair, so the record is what a real run leaves.
  const checkpoints = (await RunCheckpoints.open(root, id, true, async (line) => {
    throw new Error(line);
  })) as RunCheckpoints;
  await checkpoints.takeBefore();
  edit();
  await checkpoints.takeAfter();
  const taken = await checkpoints.record();
  const record: RunRecord = {
    ...finishRunRecord(started, {
      durationMs: 1200,
      exitCode: 0,
      outcome: "completed",
      todoAfter: todo,
      summary: { files_changed: taken.changes?.files.map((f) => f.path) ?? [] },
    }),
    verify,
    checkpoints: taken,
  };
  await writeRunRecord(carPaths(root), record);
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
