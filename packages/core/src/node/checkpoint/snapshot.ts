import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type CheckpointInfo, formatCheckpointMessage } from "../../checkpoint/commit.js";
import type { HeadState } from "../../checkpoint/plan.js";
import { formatTimestamp } from "../../log/format.js";
import { execGit, gitLine, gitOk } from "../git-exec.js";

/**
 * A snapshot of the whole work tree built in a PRIVATE index, so HEAD, the branch, the user's index,
 * the stash and the files are never touched. The private index starts as a copy of the real one, so
 * `git add -A` reuses its stat data and re-hashes only files that changed since git last looked
 * (costing about what `git status` costs); ignored files are never added. What does not depend on
 * that (HEAD, the branch, the tree of the user's index) is looked up at the same time.
 */

export interface RepoState extends HeadState {
  /** The work tree's top folder (all paths are relative to it). */
  top: string;
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

interface Layout {
  top: string;
  /** The real index file (`git rev-parse --git-path index`: right for worktrees and `.git` files too). */
  indexPath: string;
}

/** Per root, for the process's life: a repo's top folder and index file do not move while it runs. */
const layouts = new Map<string, Layout>();

async function layout(root: string): Promise<Layout> {
  const known = layouts.get(root);
  if (known) return known;
  const [top, index] = (await gitLine(root, ["rev-parse", "--show-toplevel", "--git-path", "index"])).split(
    "\n",
  ) as [string, string];
  const found = { top, indexPath: resolve(root, index) };
  layouts.set(root, found);
  return found;
}

async function headState(top: string): Promise<Omit<RepoState, "top">> {
  const [branch, heads] = await Promise.all([
    execGit(top, ["symbolic-ref", "-q", "HEAD"]),
    // One process for both; "HEAD^{commit} missing" before the first commit.
    execGit(top, ["cat-file", "--batch-check=%(objectname)"], { input: "HEAD^{commit}\nHEAD^{tree}\n" }),
  ]);
  const [head, headTree] = heads.stdout
    .toString()
    .split("\n")
    .map((l) => (/^[0-9a-f]{40,64}$/.test(l) ? l : null));
  return {
    branch: branch.code === 0 ? branch.stdout.toString().trim() : null,
    head: head ?? null,
    headTree: headTree ?? null,
  };
}

/** Builds the snapshot, hands it and the repo's state to `use`, then deletes the private index. */
export async function withSnapshot<T>(
  root: string,
  use: (repo: RepoState, snap: Snapshot) => Promise<T>,
): Promise<T> {
  const { top, indexPath } = await layout(root);
  // Beside the real index: same file system, inside the git dir (never in the work tree).
  const name = join(dirname(indexPath), `car-snapshot-${process.pid}-${randomBytes(4).toString("hex")}`);
  const env = { GIT_INDEX_FILE: name };
  const userIndex = `${name}-user`;
  try {
    const seeded = await seedIndex(indexPath, name);
    // `git add -A` is the long pole: it starts first; the look-ups that do not need it run beside it.
    const snapshot = gitOk(top, ["add", "-A"], { env }).then(() => writeTree(top, name, false));
    const [tree, state, indexTree] = await allSettled([
      snapshot,
      headState(top),
      seeded ? userIndexTree(top, indexPath, userIndex) : null,
    ]);
    return await use({ top, ...state }, { tree: tree as string, indexTree, env });
  } finally {
    await Promise.all([fsp.rm(name, { force: true }), fsp.rm(userIndex, { force: true })]);
  }
}

/** Like Promise.all, but every git process has ended before the first error is thrown (none still writes an index being deleted). */
async function allSettled<T extends readonly unknown[]>(
  all: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(all);
  for (const r of results) if (r.status === "rejected") throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
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

/**
 * The tree of what the user has staged. write-tree may store what it computed back into the index it
 * reads, so it reads a second name for the real index: a hard link, which git's write (a new file
 * renamed over the name) replaces without touching the real index's bytes; a copy where links fail.
 */
async function userIndexTree(top: string, real: string, name: string): Promise<string | null> {
  try {
    await fsp.link(real, name);
  } catch {
    await fsp.copyFile(real, name);
  }
  return writeTree(top, name, true);
}

/** `git write-tree` of an index file; with `mayFail`, null instead of an error (unmerged entries have no tree). */
async function writeTree(top: string, index: string, mayFail: boolean): Promise<string | null> {
  const env = { GIT_INDEX_FILE: index };
  if (!mayFail) return gitLine(top, ["write-tree"], { env });
  const r = await execGit(top, ["write-tree"], { env });
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
