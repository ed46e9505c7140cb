import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import {
  type CheckpointInfo,
  type CheckpointMeta,
  formatCheckpointMessage,
} from "../../checkpoint/commit.js";
import { parseStatusChanges, quoteGitPath, type TreeChange } from "../../checkpoint/status.js";
import { formatTimestamp } from "../../log/format.js";
import { execGit, gitError, gitLine, gitOk } from "../git-exec.js";
import { readBlobs } from "./blobs.js";
import { fromGit, fsPath } from "./bytes.js";
import { sweepLeftovers } from "./leftovers.js";
import {
  allSettled,
  commitSnapshot,
  currentBranch,
  IDENTITY,
  indexCommitMessage,
  layout,
  privateIndexName,
  userIndexTree,
  withSnapshot,
} from "./snapshot.js";

/**
 * A snapshot committed under `ref`, at about the cost of one `git status` (issue 12). Status on the
 * real index (read-only: GIT_OPTIONAL_LOCKS=0) is the one scan of the work tree, with git's own stat
 * data and racy-entry checks; the files it names are hashed (`hash-object`, which applies the same
 * clean filters as `add`), and `fast-import` applies the changes to HEAD's tree and writes the commit
 * and the ref in one process, building only the trees that changed. No index is written at all. The
 * tree equals what `git add -A` would record (the tests compare them); what status cannot state
 * exactly (submodules, conflicts, nested repositories), and a changed file staged with CRLF (see
 * crlfInIndex), goes the `add -A` way (snapshot.ts).
 */
export async function recordSnapshot(
  root: string,
  ref: string,
  label: string,
  at: Date,
): Promise<CheckpointInfo> {
  const lay = await layout(root);
  const { top, indexPath, carConfig, hashBytes } = lay;
  const userIndex = `${privateIndexName(indexPath)}-user`;
  const secs = Math.floor(at.getTime() / 1000);
  try {
    // `--branch` names HEAD's commit too (no other process for it); ahead/behind is not needed.
    const args = ["status", "--porcelain=v2", "-z", "--branch", "--no-ahead-behind", "--no-renames"];
    const status = gitOk(top, [...args, "--untracked-files=all", "--ignore-submodules=none"], {
      env: { GIT_OPTIONAL_LOCKS: "0" },
    });
    // Beside the scan, without a process while git keeps the index's cache-tree: the staged tree and the branch.
    const [out, indexTree, branch] = await allSettled([
      status,
      userIndexTree(top, indexPath, userIndex, hashBytes),
      currentBranch(lay),
      sweepLeftovers(dirname(indexPath)),
    ]);
    const parsed = parseStatusChanges(fromGit(out), carConfig);
    const blobs = "changes" in parsed ? await contents(top, parsed.changes) : null;
    if (!blobs || !("changes" in parsed)) return await slowPath(root, ref, label, at);
    const { head } = parsed;
    const meta = { label, head, branch, indexTree };
    // The index tree is kept by a commit when it is not HEAD's (always before the first commit).
    const keepIndex = indexTree !== null && (head === null || parsed.staged);
    const stream = fastImportStream({ ref, secs, meta, keepIndex, carConfig, blobs });
    const fastImport = ["fast-import", "--quiet", "--force", "--done", "--cat-blob-fd=1"];
    const r = await execGit(top, fastImport, { input: stream });
    if (r.code !== 0) throw gitError(top, fastImport, r);
    const [lsLine, commit] = r.stdout.toString("latin1").trim().split("\n") as [string, string];
    const tree =
      /^040000 tree ([0-9a-f]+)\t/.exec(lsLine)?.[1] ??
      (await gitLine(top, ["rev-parse", `${commit}^{tree}`]));
    return { ...meta, commit, tree, takenAt: formatTimestamp(new Date(secs * 1000)) };
  } finally {
    await fsp.rm(userIndex, { force: true });
  }
}

async function slowPath(root: string, ref: string, label: string, at: Date): Promise<CheckpointInfo> {
  return withSnapshot(root, async (repo, snap) => {
    const info = await commitSnapshot(repo, snap, label, at);
    await gitOk(repo.top, ["update-ref", "-m", `car checkpoint: ${label}`, ref, info.commit]);
    return info;
  });
}

/** What fast-import writes at a path: a blob by id, or (links) the target's bytes inline. */
type Blob = { path: string; mode: string; oid: string } | { path: string; mode: "120000"; target: Buffer };

interface Contents {
  deletes: string[];
  blobs: Blob[];
}

/**
 * The content of every changed path. Null when a file vanished or changed kind between the scan and
 * the read (the slow way then takes the snapshot again, as it finds the tree).
 */
async function contents(top: string, changes: TreeChange[]): Promise<Contents | null> {
  const deletes: string[] = [];
  const blobs: Blob[] = [];
  const toHash: Array<{ path: string; mode: string }> = [];
  const indexBlobs: string[] = [];
  let trustExec: Promise<boolean> | null = null;
  const execTrusted = () => {
    trustExec ??= fileModeTrusted(top);
    return trustExec;
  };
  try {
    await Promise.all(
      changes.map(async (c) => {
        if (c.kind === "delete") deletes.push(c.path);
        else if (c.kind === "staged") blobs.push(c);
        else if (c.kind === "file" && c.mode !== "120000") {
          toHash.push(c);
          indexBlobs.push(c.oid);
        } else {
          const st = await fsp.lstat(fsPath(top, c.path));
          if (st.isSymbolicLink())
            blobs.push({
              path: c.path,
              mode: "120000",
              target: await fsp.readlink(fsPath(top, c.path), { encoding: "buffer" }),
            });
          else if (!st.isFile()) throw Object.assign(new Error("changed kind"), { code: "ENOENT" });
          else if (c.kind === "file") {
            toHash.push(c); // a link checked out as a file (core.symlinks false)
            indexBlobs.push(c.oid);
          } else {
            // As `add` does: the owner's x bit counts unless core.fileMode is false.
            const exec = (st.mode & 0o100) !== 0 && (await execTrusted());
            toHash.push({ path: c.path, mode: exec ? "100755" : "100644" });
          }
        }
      }),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  if (toHash.length > 0) {
    const input = Buffer.from(toHash.map((f) => `${quoteGitPath(f.path)}\n`).join(""), "latin1");
    const [r, crlf] = await allSettled([
      execGit(top, ["hash-object", "-w", "--stdin-paths"], { input }),
      crlfInIndex(top, indexBlobs),
    ]);
    if (r.code !== 0 || crlf) return null; // a file went away meanwhile, or only `add` can tell
    const oids = r.stdout.toString("latin1").trim().split("\n");
    for (const [i, f] of toHash.entries()) blobs.push({ ...f, oid: oids[i] as string });
  }
  return { deletes, blobs };
}

/** Above this many bytes of changed files' staged blobs, the `add -A` way is taken without looking. */
const CRLF_SCAN_MAX = 64 * 1024 * 1024;

/**
 * True when one of these index blobs is text with CRLF (or they are too big to look at). Then `add`
 * keeps CRLF where automatic EOL conversion (core.autocrlf, text=auto) would turn it into LF, because
 * it looks at the index; `hash-object` reads no index and converts, so only the `add -A` way is right.
 */
async function crlfInIndex(top: string, oids: string[]): Promise<boolean> {
  const ids = oids.filter((o) => !/^0+$/.test(o)); // intent-to-add entries have no blob
  const blobs = await readBlobs(top, ids, CRLF_SCAN_MAX).catch(() => null); // unreadable: `add` decides
  // git's test (convert.c has_crlf_in_index): not binary, has CRLF. NUL-free is the wider "not binary".
  return blobs === null || blobs.some((b) => !b.includes(0) && b.includes("\r\n"));
}

async function fileModeTrusted(top: string): Promise<boolean> {
  const r = await execGit(top, ["config", "--type=bool", "core.fileMode"]);
  return r.stdout.toString().trim() !== "false";
}

/**
 * The snapshot commit on `ref` (replaced, not appended to: `reset` first): HEAD's tree with the
 * changes applied, parents HEAD and, with `keepIndex`, a commit of the user's index tree made first
 * (parent HEAD), as commitSnapshot makes them. Before the first commit the base is empty. `ls` and
 * `get-mark` print the snapshot's tree and commit ids on stdout.
 */
function fastImportStream(o: {
  ref: string;
  secs: number;
  meta: CheckpointMeta;
  keepIndex: boolean;
  carConfig: string;
  blobs: Contents;
}): Buffer {
  const ident = `${IDENTITY.GIT_COMMITTER_NAME} <${IDENTITY.GIT_COMMITTER_EMAIL}> ${o.secs} +0000`;
  const { head, indexTree } = o.meta;
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, "latin1"));
  const commit = (mark: number, message: string) => {
    const bytes = Buffer.from(message, "utf8");
    text(
      `reset ${o.ref}\ncommit ${o.ref}\nmark :${mark}\nauthor ${ident}\ncommitter ${ident}\ndata ${bytes.length}\n`,
    );
    parts.push(bytes);
    text("\n");
  };
  // Each commit has at least one file command, so the blank line after it ends the commit (with none,
  // it would be taken as the optional LF after the message).
  if (o.keepIndex && indexTree !== null) {
    commit(1, `${indexCommitMessage(o.meta.label)}\n`);
    if (head !== null) text(`from ${head}\n`);
    text(`M 040000 ${indexTree} ""\n\n`);
  }
  commit(2, formatCheckpointMessage(o.meta));
  if (head !== null) {
    text(`from ${head}\n`);
    if (o.keepIndex) text("merge :1\n");
  } else if (o.keepIndex) {
    text("from :1\ndeleteall\n"); // no HEAD: the index commit is the only parent; the base stays empty
  }
  text(`D ${quoteGitPath(o.carConfig)}\n`);
  for (const p of o.blobs.deletes) text(`D ${quoteGitPath(p)}\n`);
  for (const b of o.blobs.blobs) {
    if ("target" in b) {
      text(`M 120000 inline ${quoteGitPath(b.path)}\ndata ${b.target.length}\n`);
      parts.push(b.target);
      text("\n");
    } else text(`M ${b.mode} ${b.oid} ${quoteGitPath(b.path)}\n`);
  }
  text(`\nls :2 ""\nget-mark :2\ndone\n`);
  return Buffer.concat(parts);
}
