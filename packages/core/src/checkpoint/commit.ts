import { formatTimestamp } from "../log/format.js";

/**
 * The checkpoint commit object: its tree is the whole work tree (tracked files as they are on disk,
 * untracked files that are not ignored); its parents keep what it refers to reachable (HEAD first, so
 * `git log <ref>` shows where the work stood, then, when the user had staged something, a commit of the
 * index); trailers in its message say what was recorded. The trailers are the record; parents are
 * only for reachability and `git log`.
 */

export interface CheckpointMeta {
  /** What this is, e.g. "run 3 before" or "rollback 2026-01-01T12-34-56.789Z". */
  label: string;
  /** HEAD's commit when taken; null before the first commit. */
  head: string | null;
  /** The branch HEAD pointed at (`refs/heads/main`), null when detached. Set even before the first commit. */
  branch: string | null;
  /** Tree of the user's index when taken; null when it could not be written (unmerged entries). */
  indexTree: string | null;
}

export interface CheckpointInfo extends CheckpointMeta {
  commit: string;
  /** The work-tree snapshot. */
  tree: string;
  /** Committer time, ISO-8601 UTC. */
  takenAt: string;
}

const NONE = "none";

export function formatCheckpointMessage(meta: CheckpointMeta): string {
  return [
    `car checkpoint: ${meta.label}`,
    "",
    `Car-Checkpoint: ${meta.label}`,
    `Car-Head: ${meta.head ?? NONE}`,
    `Car-Branch: ${meta.branch ?? NONE}`,
    `Car-Index: ${meta.indexTree ?? NONE}`,
    "",
  ].join("\n");
}

/**
 * Parses `git cat-file commit <sha>` of a checkpoint commit. Null when the commit is not one of ours
 * (no `Car-Checkpoint` trailer), so a ref pointing elsewhere is never taken for a checkpoint.
 */
export function parseCheckpointCommit(commit: string, text: string): CheckpointInfo | null {
  const split = text.indexOf("\n\n");
  const header = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  const tree = /^tree ([0-9a-f]{40,64})$/m.exec(header)?.[1];
  const committer = /^committer .* (\d+) [+-]\d{4}$/m.exec(header)?.[1];
  const trailers = new Map<string, string>();
  for (const line of body.split("\n")) {
    const m = /^(Car-[A-Za-z]+): (.*)$/.exec(line);
    if (m) trailers.set(m[1] as string, (m[2] as string).trim());
  }
  const label = trailers.get("Car-Checkpoint");
  if (!tree || label === undefined) return null;
  const value = (key: string, pattern: RegExp): string | null => {
    const v = trailers.get(key);
    return v === undefined || v === NONE || !pattern.test(v) ? null : v;
  };
  const sha = /^[0-9a-f]{40,64}$/;
  return {
    commit,
    tree,
    label,
    head: value("Car-Head", sha),
    branch: value("Car-Branch", /^refs\/\S+$/),
    indexTree: value("Car-Index", sha),
    takenAt: committer ? formatTimestamp(new Date(Number(committer) * 1000)) : "",
  };
}

/**
 * Nothing git can see changed between two checkpoints: the same files (tracked and untracked), the same
 * staged content and the same HEAD. With checkpoints on, this answers the no-progress question
 * without another `git status`.
 */
export function sameCheckpointState(
  a: Pick<CheckpointInfo, "tree" | "indexTree" | "head">,
  b: Pick<CheckpointInfo, "tree" | "indexTree" | "head">,
): boolean {
  return a.tree === b.tree && a.indexTree === b.indexTree && a.head === b.head;
}
