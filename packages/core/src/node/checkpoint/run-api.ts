import { checkpointRecord } from "../../checkpoint/record.js";
import { runCheckpointRef, undoCommand } from "../../checkpoint/refs.js";
import type { RollbackBody, RunDiffBody, UndoRollbackBody } from "../../contract/changes.js";
import { DEFAULT_DIFF_PATCH_BYTES } from "../../contract/params.js";
import { CarError, isCarError } from "../../errors.js";
import { formatTimestamp } from "../../log/format.js";
import type { RunRecord } from "../../types.js";
import { acquireLock, type LockHandle, lockStatus, releaseLock } from "../lock.js";
import { LogWriter } from "../log/writer.js";
import { type CarPaths, carPaths } from "../paths.js";
import { findRunProcesses } from "../proc/procfs.js";
import { listRunIds, readRunRecord, writeRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { diffRun } from "./diff.js";
import { type RollbackResult, rollback, undoRollback } from "./rollback.js";
import { readCheckpoint } from "./take.js";

/**
 * A run's diff and its rollback as the API and the CLI give them (contract/changes.ts): one function
 * each, so `GET /api/runs/:id/diff` and `car diff --json` (and the rollback pair) cannot differ.
 * A rollback changes the work tree, so it holds the runner lock while it works (no runner can start
 * meanwhile) and is refused while a runner, or a dead runner's agent, is alive.
 */

export interface RunDiffBodyOptions {
  /** Patch bytes at most (default: the API's DEFAULT_DIFF_PATCH_BYTES); files and totals are never cut. */
  maxBytes?: number;
}

export async function runDiffBody(
  root: string,
  runId: number,
  opts: RunDiffBodyOptions = {},
): Promise<RunDiffBody> {
  const refs = [runCheckpointRef(runId, "before"), runCheckpointRef(runId, "after")] as const;
  const [before, after] = await Promise.all(refs.map((ref) => readCheckpoint(root, ref)));
  if (!before || !after) {
    const missing = refs.filter((_, i) => (i === 0 ? before : after) === null);
    throw new CarError(
      "RUN_NOT_FOUND",
      `Run ${runId} has no ${missing.join(" or ")} checkpoint (checkpoints are taken while git.checkpoints is on; \`after\` once the run has finished).`,
      { run_id: runId, missing },
    );
  }
  const diff = await diffRun(root, before.commit, after.commit, {
    patchMaxBytes: opts.maxBytes ?? DEFAULT_DIFF_PATCH_BYTES,
  });
  return {
    run_id: runId,
    before: checkpointRecord(before.ref, before),
    after: checkpointRecord(after.ref, after),
    files: diff.files,
    additions: diff.additions,
    deletions: diff.deletions,
    patch: diff.patch,
    cut: diff.cut,
  };
}

export interface RollbackRunOptions<Body> {
  /** Plan only: nothing changes (no lock file, no record, no log line). */
  dryRun?: boolean;
  /**
   * Asked with the plan (the dry run's body) while the lock is held, before anything changes; false:
   * nothing changes and the dry run's body is returned. What was confirmed is what is done.
   */
  confirm?: (plan: Body) => Promise<boolean>;
  /** Clock for the undo stamp and `rolled_back.at` (tests). */
  now?: Date;
}

/**
 * Puts the work tree back to before run `runId`, undoing it and every later run (rollback.ts). After a
 * real rollback each undone run's record gets `rolled_back` and the log gets a note (a line outside any
 * run block, see formatNoteLine). LOCK_HELD naming the PID while a runner is alive; RUN_NOT_FOUND
 * without the run's `before` checkpoint.
 */
export async function rollbackRun(
  root: string,
  runId: number,
  opts: RollbackRunOptions<RollbackBody> = {},
): Promise<RollbackBody> {
  runCheckpointRef(runId, "before"); // INVALID_ARGUMENT for a bad id before anything else
  const paths = carPaths(root);
  const now = opts.now ?? new Date();
  if (opts.dryRun) {
    await refuseWhileAlive(paths, "roll back");
    return rollbackBody(runId, await rollback(root, { toBefore: runId, dryRun: true }));
  }
  return withRunnerLock(paths, "roll back", async () => {
    const { confirm } = opts;
    const result = await rollback(root, {
      toBefore: runId,
      now,
      ...(confirm ? { confirm: (preview) => confirm(rollbackBody(runId, preview)) } : {}),
    });
    if (result.undo) {
      const mark = { at: formatTimestamp(now), to_before_run: runId, undo_command: result.undo.command };
      await updateRecords(paths, result.runsUndone, () => mark);
      const undone = result.runsUndone.length > 0 ? ` (undid run${plural(result.runsUndone)})` : "";
      await logNote(
        paths,
        `rolled back to before run ${runId}${undone}; ${changeSummary(result)}; the state before is kept at ${result.undo.ref}, \`${result.undo.command}\` returns to it`,
      );
    }
    return rollbackBody(runId, result);
  });
}

/**
 * Back to the state a rollback replaced (`stamp` as printed by its undo command). The same refusal
 * rules as rollbackRun; itself undoable (its `undo`). Records marked by that rollback are unmarked.
 */
export async function undoRollbackRun(
  root: string,
  stamp: string,
  opts: RollbackRunOptions<UndoRollbackBody> = {},
): Promise<UndoRollbackBody> {
  const paths = carPaths(root);
  if (opts.dryRun) {
    await refuseWhileAlive(paths, "undo a rollback");
    return undoBody(stamp, await undoRollback(root, stamp, { dryRun: true }), []);
  }
  return withRunnerLock(paths, "undo a rollback", async () => {
    const { confirm } = opts;
    const result = await undoRollback(root, stamp, {
      ...(opts.now ? { now: opts.now } : {}),
      ...(confirm ? { confirm: (preview) => confirm(undoBody(stamp, preview, [])) } : {}),
    });
    let restored: number[] = [];
    if (result.undo) {
      const command = undoCommand(stamp);
      restored = await updateRecords(paths, await listRunIds(paths), (r) =>
        r.rolled_back?.undo_command === command ? null : undefined,
      );
      await logNote(
        paths,
        `undid rollback ${stamp}${restored.length > 0 ? ` (runs ${restored.join(", ")} are back)` : ""}; ${changeSummary(result)}; \`${result.undo.command}\` returns to the state before`,
      );
    }
    return undoBody(stamp, result, restored);
  });
}

function rollbackBody(runId: number, r: RollbackResult): RollbackBody {
  return { run_id: runId, runs_undone: r.runsUndone, ...planBody(r) };
}

function undoBody(stamp: string, r: RollbackResult, restored: number[]): UndoRollbackBody {
  return { stamp, runs_restored: restored, ...planBody(r) };
}

function planBody(r: RollbackResult) {
  const { plan } = r;
  return {
    dry_run: r.dryRun,
    nothing_to_do: r.nothingToDo,
    restore: plan.restore.map((f) => ({ path: f.path, was: f.was })),
    remove: plan.remove,
    keep: plan.keep,
    head: plan.head ? { branch: plan.head.branch, from: plan.head.from, to: plan.head.to } : null,
    index: plan.index,
    undo: r.undo,
  };
}

function changeSummary(r: RollbackResult): string {
  const { plan } = r;
  const parts = [`${plan.restore.length} file(s) restored`, `${plan.remove.length} removed`];
  if (plan.head?.branch && plan.head.to)
    parts.push(`${plan.head.branch} moved to ${plan.head.to.slice(0, 12)}`);
  return parts.join(", ");
}

const plural = (ids: readonly number[]) => (ids.length === 1 ? ` ${ids[0]}` : `s ${ids.join(", ")}`);

/** The runner lock for `fn`'s duration: no runner starts mid-rollback. Refused (LOCK_HELD) while one lives. */
async function withRunnerLock<T>(paths: CarPaths, action: string, fn: () => Promise<T>): Promise<T> {
  let lock: LockHandle;
  try {
    lock = await acquireLock(paths.lock, { purpose: "rollback" });
  } catch (err) {
    if (isCarError(err, "LOCK_HELD") && typeof err.details.pid === "number") {
      throw refusal(paths, action, err.details.pid, "a runner");
    }
    throw err;
  }
  try {
    await refuseOrphans(paths, action);
    return await fn();
  } finally {
    await releaseLock(lock);
  }
}

/** A dry run reads only: it checks the lock without taking it (taking it would write the lock file). */
async function refuseWhileAlive(paths: CarPaths, action: string): Promise<void> {
  const status = await lockStatus(paths.lock);
  if (status.alive && status.info) throw refusal(paths, action, status.info.pid, "a runner");
  await refuseOrphans(paths, action);
}

/** A dead runner's agent still alive (its lifeline normally ends it) would keep editing the files. */
async function refuseOrphans(paths: CarPaths, action: string): Promise<void> {
  const state = await readState(paths);
  const marker = state.agent_marker ?? null;
  const pgid = state.agent_pid ?? null;
  if (marker === null && pgid === null) return;
  const alive = findRunProcesses({ marker, pgid });
  if (alive.length > 0) throw refusal(paths, action, alive[0] as number, "the last run's agent");
}

function refusal(paths: CarPaths, action: string, pid: number, who: string): CarError {
  return new CarError(
    "LOCK_HELD",
    `Cannot ${action} while ${who} is alive (PID ${pid}): stop it first (\`car stop\` after its run, \`car kill\` now).`,
    { file: paths.lock, pid },
  );
}

/**
 * Sets (or, with null, clears) `rolled_back` on each run's record; `change` returns undefined to leave
 * a record alone. A missing or unreadable record is skipped: the rollback itself is done by then.
 * Returns the runs changed.
 */
async function updateRecords(
  paths: CarPaths,
  runIds: readonly number[],
  change: (r: RunRecord) => RunRecord["rolled_back"] | undefined,
): Promise<number[]> {
  const changed: number[] = [];
  for (const id of [...runIds].sort((a, b) => a - b)) {
    let record: RunRecord;
    try {
      record = await readRunRecord(paths, id);
    } catch {
      continue;
    }
    const next = change(record);
    if (next === undefined) continue;
    await writeRunRecord(paths, { ...record, rolled_back: next });
    changed.push(id);
  }
  return changed;
}

async function logNote(paths: CarPaths, text: string): Promise<void> {
  const writer = await LogWriter.open(paths.log, paths.logIndex);
  try {
    await writer.note(text);
  } finally {
    await writer.close();
  }
}
