import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type CheckpointInfo, formatCheckpointMessage } from "../../checkpoint/commit.js";
import type { HeadState } from "../../checkpoint/plan.js";
import { formatTimestamp } from "../../log/format.js";
import { execGit, type GitExecOptions, gitLine } from "../git-exec.js";

/**
 * A snapshot of the whole work tree built in a PRIVATE index, so HEAD, the branch, the user's index,
 * the stash and the files are never touched. The private index starts as a copy of the real one, so
 * `git add -A` reuses its stat data and re-hashes only files that changed since git last looked
 * (costing about what `git status` costs); ignored files are never added.
 */

export interface RepoState extends HeadState {
  /** The work tree's top folder (all paths are relative to it). */
  top: string;
  /** The real index file (`git rev-parse --git-path index`: right for worktrees and `.git` files too). */
  indexPath: string;
  /** HEAD's tree; null before the first commit. */
  headTree: string | null;
}

export interface Snapshot {
  /** The work-tree snapshot. */
  tree: string;
  /** Tree of the user's index; null when it has unmerged entries or there is no index file yet. */
  indexTree: string | null;
  /** Environment for git commands on the private index (it holds the snapshot, with fresh stat data). */
  env: Record<string, string>;
}

/** Three independent look-ups, run at once. */
export async function repoState(root: string): Promise<RepoState> {
  const [paths, branch, heads] = await Promise.all([
    gitLine(root, ["rev-parse", "--show-toplevel", "--git-path", "index"]),
    execGit(root, ["symbolic-ref", "-q", "HEAD"]),
    // One process for both; "HEAD^{commit} missing" before the first commit.
    execGit(root, ["cat-file", "--batch-check=%(objectname)"], { input: "HEAD^{commit}\nHEAD^{tree}\n" }),
  ]);
  const [top, index] = paths.split("\n") as [string, string];
  const [head, headTree] = heads.stdout
    .toString()
    .split("\n")
    .map((l) => (/^[0-9a-f]{40,64}$/.test(l) ? l : null));
  return {
    top,
    indexPath: resolve(root, index),
    branch: branch.code === 0 ? branch.stdout.toString().trim() : null,
    head: head ?? null,
    headTree: headTree ?? null,
  };
}

/** Builds the snapshot, hands it to `use`, then deletes the private index. */
export async function withSnapshot<T>(repo: RepoState, use: (snap: Snapshot) => Promise<T>): Promise<T> {
  // Beside the real index: same file system, inside the git dir (never in the work tree).
  const privateIndex = join(
    dirname(repo.indexPath),
    `car-snapshot-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  const env = { GIT_INDEX_FILE: privateIndex };
  try {
    const seeded = await seedIndex(repo.indexPath, privateIndex);
    const indexTree = seeded ? await writeTree(repo.top, { env }, true) : null;
    await gitLine(repo.top, ["add", "-A"], { env });
    const tree = (await writeTree(repo.top, { env }, false)) as string;
    return await use({ tree, indexTree, env });
  } finally {
    await fsp.rm(privateIndex, { force: true });
  }
}

/**
 * Copies the real index. Git re-checks an entry whose file changed within the same second as the
 * index was written ("racy" entries: the stat data cannot tell); a copy would carry a newer mtime and
 * hide that, so the copy gets the original's mtime rounded down, which only makes more entries racy.
 */
async function seedIndex(real: string, copy: string): Promise<boolean> {
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(real);
    await fsp.copyFile(real, copy);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false; // no index yet (fresh repo)
    throw err;
  }
  const mtime = Math.floor(st.mtimeMs / 1000);
  await fsp.utimes(copy, mtime, mtime);
  return true;
}

/** `git write-tree`; with `mayFail`, null instead of an error (an index with unmerged entries has no tree). */
async function writeTree(top: string, opts: GitExecOptions, mayFail: boolean): Promise<string | null> {
  if (!mayFail) return gitLine(top, ["write-tree"], opts);
  const r = await execGit(top, ["write-tree"], opts);
  return r.code === 0 ? r.stdout.toString().trim() : null;
}

/** Checkpoint commits carry our own identity: they are the tool's records, not the user's work. */
const IDENTITY = {
  GIT_AUTHOR_NAME: "codex-autorunner",
  GIT_AUTHOR_EMAIL: "codex-autorunner@localhost",
  GIT_COMMITTER_NAME: "codex-autorunner",
  GIT_COMMITTER_EMAIL: "codex-autorunner@localhost",
};

/**
 * The checkpoint commit: the snapshot's tree; parents HEAD (so `git log <ref>` shows where the work
 * stood) and, when the user's index differs from HEAD, a commit of the index, which keeps that tree
 * reachable (the stash keeps its index the same way). Never signed: no prompt, no agent.
 */
export async function commitSnapshot(
  repo: RepoState,
  snap: Snapshot,
  label: string,
  at: Date,
): Promise<CheckpointInfo> {
  // The commit's time is given, so the returned info equals what reading the commit back gives.
  const date = `${Math.floor(at.getTime() / 1000)} +0000`;
  const env = { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  const parents: string[] = [];
  if (repo.head !== null) parents.push("-p", repo.head);
  if (snap.indexTree !== null && snap.indexTree !== repo.headTree) {
    const indexCommit = await gitLine(
      repo.top,
      ["commit-tree", "--no-gpg-sign", ...parents, "-m", `car checkpoint index: ${label}`, snap.indexTree],
      { env },
    );
    parents.push("-p", indexCommit);
  }
  const meta = { label, head: repo.head, branch: repo.branch, indexTree: snap.indexTree };
  const message = formatCheckpointMessage(meta);
  const commit = await gitLine(
    repo.top,
    ["commit-tree", "--no-gpg-sign", ...parents, "-m", message, snap.tree],
    {
      env,
    },
  );
  return {
    ...meta,
    commit,
    tree: snap.tree,
    takenAt: formatTimestamp(new Date(Math.floor(at.getTime() / 1000) * 1000)),
  };
}
