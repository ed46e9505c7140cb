import { promises as fsp } from "node:fs";
import { parseRawNumstat } from "../../checkpoint/changes.js";
import {
  type HeadPlan,
  ignoreRulesDiffer,
  planIsEmpty,
  planRollback,
  type RollbackPlan,
  removalCandidates,
} from "../../checkpoint/plan.js";
import {
  parseRunCheckpointRef,
  RUN_CHECKPOINTS_PREFIX,
  rollbackRef,
  rollbackStamp,
  runCheckpointRef,
  undoCommand,
} from "../../checkpoint/refs.js";
import { CarError } from "../../errors.js";
import { execGit, gitError, gitOk } from "../git-exec.js";
import { display, fromGit, fsPath, joinZ } from "./bytes.js";
import { ignoredUnder } from "./ignored.js";
import { commitSnapshot, type RepoState, type Snapshot, withSnapshot } from "./snapshot.js";
import { readCheckpoint, type TakenCheckpoint } from "./take.js";

/**
 * Puts the work tree, HEAD (with its branch) and the index back to a snapshot. Files not in it are
 * removed unless its ignore rules ignore them; files that differ or are gone are written back; ignored
 * files are never touched. Before anything changes, the current state is checkpointed under
 * `refs/car/rollbacks/<stamp>`, so the rollback itself can be undone.
 *
 * The index is set back to the snapshot's index (what the user had staged then), keeping the stat
 * data of entries that did not change, as `git reset --mixed` does.
 */

export interface RollbackResult {
  /** The snapshot the work tree goes (or would go) back to. */
  target: TakenCheckpoint;
  /** Paths are display text (UTF-8). */
  plan: RollbackPlan;
  /** Runs whose checkpoints are newer than the target run's start (rollback to a run only). */
  runsUndone: number[];
  dryRun: boolean;
  /** Nothing differed: nothing was changed and no undo checkpoint was taken. */
  nothingToDo: boolean;
  /** Where the state before the rollback was kept, and the command that returns to it. */
  undo: { ref: string; stamp: string; commit: string; command: string } | null;
}

export interface RollbackOptions {
  dryRun?: boolean;
  /**
   * Asked with the plan (as a dry run would return it) before anything changes, when there is
   * something to change; false: nothing changes. The plan asked about is the plan carried out.
   */
  confirm?: (preview: RollbackResult) => Promise<boolean>;
  /** Clock for the undo stamp (tests). */
  now?: Date;
}

/** Back to the state before run `toBefore`, undoing it and every later run. RUN_NOT_FOUND without its checkpoint. */
export async function rollback(
  root: string,
  opts: RollbackOptions & { toBefore: number },
): Promise<RollbackResult> {
  const ref = runCheckpointRef(opts.toBefore, "before");
  const target = await readCheckpoint(root, ref);
  if (!target) {
    throw new CarError(
      "RUN_NOT_FOUND",
      `Run ${opts.toBefore} has no checkpoint to roll back to (${ref}); checkpoints are taken while git.checkpoints is on.`,
      { run: opts.toBefore, ref },
    );
  }
  const runsUndone = await runsFrom(root, opts.toBefore);
  return restoreSnapshot(root, target, opts, runsUndone);
}

/** Back to the state a rollback replaced (`stamp` as printed by undoCommand). */
export async function undoRollback(
  root: string,
  stamp: string,
  opts: RollbackOptions = {},
): Promise<RollbackResult> {
  const ref = rollbackRef(stamp);
  const target = await readCheckpoint(root, ref);
  if (!target) {
    throw new CarError("INVALID_ARGUMENT", `No rollback ${stamp} to undo (${ref} does not exist).`, {
      key: "rollback",
      found: stamp,
    });
  }
  return restoreSnapshot(root, target, opts);
}

async function restoreSnapshot(
  root: string,
  target: TakenCheckpoint,
  opts: RollbackOptions,
  runsUndone: number[] = [],
): Promise<RollbackResult> {
  return withSnapshot(root, async (repo, snap) => {
    const changes = parseRawNumstat(
      fromGit(
        await gitOk(repo.top, ["diff-tree", "-r", "-z", "--raw", "--no-renames", snap.tree, target.tree]),
      ),
    ).raw;
    const candidates = removalCandidates(changes);
    const ignored = await ignoredUnder(repo.top, target.tree, candidates, ignoreRulesDiffer(changes));
    const plan = planRollback({
      changes,
      ignored,
      target,
      current: repo,
      targetBranchNow: await branchNow(repo, target.branch),
      indexNow: snap.indexTree,
      indexTarget: target.indexTree,
    });
    const base = { target, plan: displayPlan(plan), runsUndone, dryRun: opts.dryRun === true };
    const nothingToDo = planIsEmpty(plan);
    if (opts.dryRun || nothingToDo) return { ...base, nothingToDo, undo: null };
    const preview = { ...base, dryRun: true, nothingToDo, undo: null };
    if (opts.confirm && !(await opts.confirm(preview))) return preview;

    const undo = await keepCurrentState(repo, snap, plan, opts.now ?? new Date());
    await moveHead(repo.top, plan.head, `car rollback to ${target.label}`);
    await restoreFiles(repo.top, snap, plan, target.tree);
    if (plan.index) await restoreIndex(repo.top, target);
    return { ...base, nothingToDo, undo };
  });
}

/**
 * The undo checkpoint. A file the rollback writes back may exist now while ignored (a rule added
 * since), so the snapshot lacks it: such files are added to the undo snapshot by force first.
 */
async function keepCurrentState(repo: RepoState, snap: Snapshot, plan: RollbackPlan, now: Date) {
  const overwritten: string[] = [];
  for (const r of plan.restore) {
    if (r.was === "deleted" && (await exists(fsPath(repo.top, r.path)))) overwritten.push(r.path);
  }
  let tree = snap.tree;
  if (overwritten.length > 0) {
    const env = snap.env;
    await gitOk(repo.top, ["add", "-f", "--pathspec-from-file=-", "--pathspec-file-nul"], {
      env,
      input: joinZ(overwritten.map((p) => `:(literal)${p}`)),
    });
    tree = (await gitOk(repo.top, ["write-tree"], { env })).toString().trim();
  }
  for (let attempt = 0; ; attempt++) {
    const stamp = rollbackStamp(now, attempt);
    const ref = rollbackRef(stamp);
    const info = await commitSnapshot(repo, { ...snap, tree }, `rollback ${stamp}`, now);
    // An empty old value: the ref must not exist yet. Taken (two rollbacks in one millisecond): next name.
    const args = ["update-ref", "-m", `car rollback ${stamp}`, ref, info.commit, ""];
    const r = await execGit(repo.top, args);
    if (r.code === 0) return { ref, stamp, commit: info.commit, command: undoCommand(stamp) };
    const taken = (await execGit(repo.top, ["rev-parse", "-q", "--verify", ref])).code === 0;
    if (!taken || attempt >= 100) throw gitError(repo.top, args, r);
  }
}

async function moveHead(top: string, head: HeadPlan | null, message: string): Promise<void> {
  if (!head) return;
  if (head.branch === null) {
    // Detached then: detach HEAD at that commit (whatever branch HEAD is on now keeps its commits).
    await gitOk(top, ["update-ref", "--no-deref", "-m", message, "HEAD", head.to as string]);
    return;
  }
  if (head.moveRef) {
    // The old value is checked, so a branch moved meanwhile by someone else is not overwritten.
    if (head.to === null) await gitOk(top, ["update-ref", "-m", message, "-d", head.branch, head.from ?? ""]);
    else await gitOk(top, ["update-ref", "-m", message, head.branch, head.to, head.from ?? ""]);
  }
  if (head.leaveBranch !== undefined) await gitOk(top, ["symbolic-ref", "-m", message, "HEAD", head.branch]);
}

/**
 * The private index holds the current state with fresh stat data; reading the target tree into it
 * with `-u` updates exactly the differing files (modes, symlinks, folders in the way, folders left
 * empty) like a checkout would. Kept paths are dropped from it first, so git leaves them alone.
 */
async function restoreFiles(top: string, snap: Snapshot, plan: RollbackPlan, tree: string): Promise<void> {
  if (plan.keep.length > 0) {
    await gitOk(top, ["update-index", "--force-remove", "-z", "--stdin"], {
      env: snap.env,
      input: joinZ(plan.keep),
    });
  }
  if (plan.restore.length > 0 || plan.remove.length > 0) {
    await gitOk(top, ["read-tree", "--reset", "-u", tree], { env: snap.env });
  }
}

async function restoreIndex(top: string, target: TakenCheckpoint): Promise<void> {
  if (target.indexTree !== null) await gitOk(top, ["read-tree", "--reset", target.indexTree]);
  else if (target.head !== null) await gitOk(top, ["read-tree", "--reset", `${target.head}^{tree}`]);
  else await gitOk(top, ["read-tree", "--empty"]);
}

async function branchNow(repo: RepoState, branch: string | null): Promise<string | null> {
  if (branch === null) return null;
  if (branch === repo.branch) return repo.head;
  const r = await execGit(repo.top, ["rev-parse", "-q", "--verify", `${branch}^{commit}`]);
  return r.code === 0 ? r.stdout.toString().trim() : null;
}

/** Run ids from `first` on that have a checkpoint: the runs a rollback to before `first` undoes. */
async function runsFrom(root: string, first: number): Promise<number[]> {
  const refs = (await gitOk(root, ["for-each-ref", "--format=%(refname)", RUN_CHECKPOINTS_PREFIX]))
    .toString()
    .split("\n");
  const ids = new Set<number>();
  for (const ref of refs) {
    const parsed = parseRunCheckpointRef(ref);
    if (parsed && parsed.runId >= first) ids.add(parsed.runId);
  }
  return [...ids].sort((a, b) => a - b);
}

function displayPlan(plan: RollbackPlan): RollbackPlan {
  return {
    ...plan,
    restore: plan.restore.map((r) => ({ ...r, path: display(r.path) })),
    remove: plan.remove.map(display),
    keep: plan.keep.map(display),
  };
}

async function exists(path: Buffer): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch {
    return false;
  }
}
