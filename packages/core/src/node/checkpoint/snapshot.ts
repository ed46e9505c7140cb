import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type CheckpointInfo, formatCheckpointMessage } from "../../checkpoint/commit.js";
import { cachedIndexTree } from "../../checkpoint/index-file.js";
import type { HeadState } from "../../checkpoint/plan.js";
import { formatTimestamp } from "../../log/format.js";
import { execGit, gitLine, gitOk } from "../git-exec.js";
import { CAR_DIR } from "../paths.js";
import { fromGit, fsPath, joinZ } from "./bytes.js";
import { sweepLeftovers } from "./leftovers.js";

/**
 * A snapshot of the whole work tree built in a PRIVATE index, so HEAD, the branch, the user's index,
 * the stash and the files are never touched. The private index starts as a copy of the real one, so
 * `git add -A` reuses its stat data and re-hashes only files that changed since git last looked
 * (costing about what `git status` costs); ignored files are never added. What does not depend on
 * that (HEAD, the branch, the tree of the user's index) is looked up at the same time.
 *
 * The tool's config (`<root>/.codex-autorunner/config.yml`: it may hold a literal auth token) is never
 * part of a snapshot, so no secret goes into a checkpoint or a diff and a rollback never rewrites the
 * runner's settings. The docs beside it (TODO, PROGRESS, …) are, so a rollback reopens undone items;
 * the runtime files there (state, log, runs/) are git-ignored, so no snapshot has them. takeCheckpoint takes a faster route
 * to the same tree (record.ts); rollback needs the private index, so it comes here.
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

export interface Layout {
  top: string;
  /** The real index file (`git rev-parse --git-path index`: right for worktrees and `.git` files too). */
  indexPath: string;
  /** The tool's config.yml relative to `top`, as a git path (byte string): left out of every snapshot. */
  carConfig: string;
  /** Bytes in an object id (sha1 20, sha256 32). */
  hashBytes: number;
  /** HEAD's file (per worktree). */
  headPath: string;
}

/** Per root, for the process's life: a repo's top folder and index file do not move while it runs. */
const layouts = new Map<string, Layout>();

export async function layout(root: string): Promise<Layout> {
  const known = layouts.get(root);
  if (known) return known;
  // The prefix is the root's path below the top (empty at the top): the car config's path in git's terms.
  const args = [
    "rev-parse",
    "--show-toplevel",
    "--show-prefix",
    "--git-path",
    "index",
    "--show-object-format",
    "--git-path",
    "HEAD",
  ];
  const out = await gitOk(root, args);
  const lines = out.toString("utf8").split("\n");
  const [top, , index, format, head] = lines as [string, string, string, string, string];
  const prefix = fromGit(out).split("\n")[1] as string;
  const hashBytes = format === "sha256" ? 32 : 20;
  const found = {
    top,
    indexPath: resolve(root, index),
    carConfig: `${prefix}${CAR_DIR}/config.yml`,
    hashBytes,
    headPath: resolve(root, head),
  };
  layouts.set(root, found);
  return found;
}

export async function headState(lay: Layout): Promise<Omit<RepoState, "top">> {
  const { top } = lay;
  const [branch, heads] = await Promise.all([
    currentBranch(lay),
    // One process for both; "HEAD^{commit} missing" before the first commit.
    execGit(top, ["cat-file", "--batch-check=%(objectname)"], { input: "HEAD^{commit}\nHEAD^{tree}\n" }),
  ]);
  const [head, headTree] = heads.stdout
    .toString()
    .split("\n")
    .map((l) => (/^[0-9a-f]{40,64}$/.test(l) ? l : null));
  return {
    branch,
    head: head ?? null,
    headTree: headTree ?? null,
  };
}

/**
 * The branch HEAD is on; null when detached. HEAD's file says it ("ref: refs/heads/x") without a
 * process beside the scan; anything else (detached, a symlink) is left to git.
 */
export async function currentBranch({ top, headPath }: Layout): Promise<string | null> {
  const text = await fsp.readFile(headPath, "utf8").catch(() => "");
  const ref = /^ref: (refs\/[^\s]+)\n?$/.exec(text)?.[1];
  if (ref !== undefined) return ref;
  const r = await execGit(top, ["symbolic-ref", "-q", "HEAD"]);
  return r.code === 0 ? r.stdout.toString().trim() : null;
}

/** Builds the snapshot, hands it and the repo's state to `use`, then deletes the private index. */
export async function withSnapshot<T>(
  root: string,
  use: (repo: RepoState, snap: Snapshot) => Promise<T>,
): Promise<T> {
  const lay = await layout(root);
  const { top, indexPath, carConfig, hashBytes } = lay;
  const name = privateIndexName(indexPath);
  const env = privateIndexEnv(name);
  const userIndex = `${name}-user`;
  try {
    const seeded = await seedIndex(indexPath, name);
    // `git add -A` is the long pole: it starts first; the look-ups that do not need it run beside it.
    const snapshot = addAll(top, env, carConfig).then(() => writeTree(top, name, false));
    const [tree, state, indexTree] = await allSettled([
      snapshot,
      headState(lay),
      seeded ? userIndexTree(top, indexPath, userIndex, hashBytes) : null,
      sweepLeftovers(dirname(indexPath)),
    ]);
    return await use({ top, ...state }, { tree: tree as string, indexTree, env });
  } finally {
    await Promise.all([fsp.rm(name, { force: true }), fsp.rm(userIndex, { force: true })]);
  }
}

/**
 * A new private index's name. Beside the real index: same file system, inside the git dir (never in
 * the work tree). A runner killed mid-snapshot leaves it behind; sweepLeftovers removes it later.
 */
export function privateIndexName(indexPath: string): string {
  return join(dirname(indexPath), `car-snapshot-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Git's environment for a private index: never written split (core.splitIndex), which would leave a
 * new `sharedindex.*` file in the git dir at every snapshot, and no hooks (the user's
 * post-index-change hook is about their index, not this one). Settings already passed this way stay.
 */
function privateIndexEnv(index: string): Record<string, string> {
  const n = Number(process.env.GIT_CONFIG_COUNT) || 0;
  return {
    GIT_INDEX_FILE: index,
    GIT_CONFIG_COUNT: String(n + 2),
    [`GIT_CONFIG_KEY_${n}`]: "core.splitIndex",
    [`GIT_CONFIG_VALUE_${n}`]: "false",
    [`GIT_CONFIG_KEY_${n + 1}`]: "core.hooksPath",
    [`GIT_CONFIG_VALUE_${n + 1}`]: "/dev/null",
  };
}

/**
 * `git add -A` into the private index, leaving out the car config (and what the real index had of it).
 * When the car folder is a link (or a file), git refuses a pathspec beyond it; nothing there can be
 * added then, so none is given.
 */
async function addAll(top: string, env: Record<string, string>, carConfig: string): Promise<void> {
  const carDir = await fsp
    .lstat(fsPath(top, carConfig.slice(0, carConfig.lastIndexOf("/"))))
    .catch(() => null);
  const exclude = carDir === null || carDir.isDirectory() ? [`:(exclude,literal)${carConfig}`] : [];
  const spec = { env, input: joinZ(exclude) };
  await gitOk(top, ["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"], spec);
  const drop = { env, input: joinZ([`:(literal)${carConfig}`]) };
  await gitOk(
    top,
    ["rm", "--cached", "-r", "-q", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"],
    drop,
  );
}

/** Like Promise.all, but every git process has ended before the first error is thrown (none still writes an index being deleted). */
export async function allSettled<T extends readonly unknown[]>(
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
 * The tree of what the user has staged; null without an index file. Read from the index's cache-tree
 * while git keeps it valid (no process). Else write-tree, which may store what it computed back into
 * the index it reads, so it reads a second name for the real index: a hard link, which git's write (a
 * new file renamed over the name) replaces without touching the real index's bytes; a copy where links fail.
 */
export async function userIndexTree(
  top: string,
  real: string,
  name: string,
  hashBytes: number,
): Promise<string | null> {
  try {
    const cached = cachedIndexTree(await fsp.readFile(real), hashBytes);
    if (cached !== null) return cached;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null; // no index yet (fresh repo)
    throw err;
  }
  try {
    await fsp.link(real, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null; // no index yet (fresh repo)
    await fsp.copyFile(real, name);
  }
  return writeTree(top, name, true);
}

/** `git write-tree` of an index file; with `mayFail`, null instead of an error (unmerged entries have no tree). */
async function writeTree(top: string, index: string, mayFail: boolean): Promise<string | null> {
  const env = privateIndexEnv(index);
  if (!mayFail) return gitLine(top, ["write-tree"], { env });
  const r = await execGit(top, ["write-tree"], { env });
  return r.code === 0 ? r.stdout.toString().trim() : null;
}

/** Checkpoint commits carry our own identity: they are the tool's records, not the user's work. */
export const IDENTITY = {
  GIT_AUTHOR_NAME: "codex-autorunner",
  GIT_AUTHOR_EMAIL: "codex-autorunner@localhost",
  GIT_COMMITTER_NAME: "codex-autorunner",
  GIT_COMMITTER_EMAIL: "codex-autorunner@localhost",
};

/** The commit's time is given, so the returned info equals what reading the commit back gives. */
function identityAt(secs: number): Record<string, string> {
  const date = `${secs} +0000`;
  return { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
}

export const indexCommitMessage = (label: string) => `car checkpoint index: ${label}`;

/** The commit keeping the user's index tree reachable (parent HEAD); null when that tree is HEAD's or unknown. */
async function indexCommit(
  repo: RepoState,
  indexTree: string | null,
  label: string,
  secs: number,
): Promise<string | null> {
  if (indexTree === null || indexTree === repo.headTree) return null;
  const parents = repo.head !== null ? ["-p", repo.head] : [];
  const args = ["commit-tree", "--no-gpg-sign", ...parents, "-m", indexCommitMessage(label), indexTree];
  return gitLine(repo.top, args, { env: identityAt(secs) });
}

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
  const secs = Math.floor(at.getTime() / 1000);
  const env = identityAt(secs);
  const parents: string[] = [];
  if (repo.head !== null) parents.push("-p", repo.head);
  const kept = await indexCommit(repo, snap.indexTree, label, secs);
  if (kept !== null) parents.push("-p", kept);
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
    takenAt: formatTimestamp(new Date(secs * 1000)),
  };
}
