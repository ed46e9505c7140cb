import type { RawChange } from "./changes.js";

/**
 * The rollback plan: which files go back to a snapshot, which go, which stay, and where HEAD goes.
 * Input is the raw diff from the CURRENT state to the TARGET snapshot (both full work-tree snapshots),
 * so every path in it differs; paths in neither snapshot (ignored files) never appear.
 */

export interface HeadState {
  /** HEAD's commit; null before the first commit. */
  head: string | null;
  /** The branch HEAD points at (`refs/heads/main`); null when detached. */
  branch: string | null;
}

export interface HeadPlan {
  /** The branch set back, or null: HEAD is detached at `to`. */
  branch: string | null;
  /** Where that branch (or the detached HEAD) points now; null: the branch does not exist now. */
  from: string | null;
  /** Where it goes; null: the branch had no commit yet, so it is removed (HEAD stays on it, unborn). */
  to: string | null;
  /** The ref itself moves (false when only HEAD is pointed back at a branch that never moved). */
  moveRef: boolean;
  /** HEAD is on another branch now (or detached: null) and is pointed back; undefined when it is not. */
  leaveBranch?: string | null;
}

export interface RollbackPlan {
  /** Written back with the snapshot's content (mode and symlinks included). */
  restore: Array<{ path: string; was: "modified" | "deleted" }>;
  /** Not in the snapshot and not ignored under its rules: created since, removed. */
  remove: string[];
  /** Not in the snapshot but ignored under its rules: they may have existed then, so they are left alone. */
  keep: string[];
  /** Null when HEAD and its branch are where the snapshot recorded them. */
  head: HeadPlan | null;
  /** The index (what is staged) is set back to the snapshot's too. */
  index: boolean;
}

/** Nothing to change (kept paths change nothing). */
export function planIsEmpty(plan: RollbackPlan): boolean {
  return plan.restore.length === 0 && plan.remove.length === 0 && plan.head === null && !plan.index;
}

/** Paths in the current state that the target snapshot lacks (created since, or ignored then). */
export function removalCandidates(changes: readonly RawChange[]): string[] {
  return changes.filter((c) => c.letter === "D").map((c) => c.path);
}

/**
 * True when a `.gitignore` differs between the two states: then the current work tree's rules are not
 * the snapshot's, and whether a removal candidate was ignored must be decided under the snapshot's.
 */
export function ignoreRulesDiffer(changes: readonly RawChange[]): boolean {
  return changes.some((c) => c.path === ".gitignore" || c.path.endsWith("/.gitignore"));
}

export function planRollback(input: {
  /** `git diff-tree -r --raw --no-renames <current> <target>`. */
  changes: readonly RawChange[];
  /** Removal candidates ignored under the target's rules. */
  ignored: ReadonlySet<string>;
  target: HeadState;
  current: HeadState;
  /** Where the target's branch points now (null: it does not exist); only read when target.branch is set. */
  targetBranchNow: string | null;
  /** Trees of the index now and in the snapshot; null: unknown (unmerged entries, no index file). */
  indexNow: string | null;
  indexTarget: string | null;
}): RollbackPlan {
  const restore: RollbackPlan["restore"] = [];
  const remove: string[] = [];
  const keep: string[] = [];
  for (const c of input.changes) {
    if (c.letter === "D") (input.ignored.has(c.path) ? keep : remove).push(c.path);
    else restore.push({ path: c.path, was: c.letter === "A" ? "deleted" : "modified" });
  }
  return {
    restore,
    remove,
    keep,
    head: planHead(input.target, input.current, input.targetBranchNow),
    // Both null: no index file then and now (nothing ever staged), or unmerged both times: left alone.
    index: input.indexTarget !== input.indexNow,
  };
}

function planHead(target: HeadState, current: HeadState, targetBranchNow: string | null): HeadPlan | null {
  if (target.branch === null) {
    // Detached when the snapshot was taken (so HEAD had a commit).
    if (current.branch === null && current.head === target.head) return null;
    return {
      branch: null,
      from: current.head,
      to: target.head,
      moveRef: true,
      ...(current.branch !== null ? { leaveBranch: current.branch } : {}),
    };
  }
  const moveRef = targetBranchNow !== target.head;
  const switchHead = current.branch !== target.branch;
  if (!moveRef && !switchHead) return null;
  return {
    branch: target.branch,
    from: targetBranchNow,
    to: target.head,
    moveRef,
    ...(switchHead ? { leaveBranch: current.branch } : {}),
  };
}
