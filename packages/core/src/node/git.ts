import { createHash } from "node:crypto";
import { createReadStream, promises as fsp } from "node:fs";
import { CONFIG_FILE } from "./config-io.js";
import { execGit, gitOk } from "./git-exec.js";

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Git with text output; a non-zero exit is returned (see git-exec.ts, the one place git is spawned). */
async function git(cwd: string, args: string[]): Promise<GitResult> {
  const r = await execGit(cwd, args);
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr };
}

/** True when git tracks `path` (repo-relative) in `root`'s index. */
export async function isTracked(root: string, path: string): Promise<boolean> {
  try {
    return (await git(root, ["ls-files", "--error-unmatch", "--", path])).code === 0;
  } catch {
    return false;
  }
}

/** True when `dir` is inside a git work tree. */
export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    const r = await git(dir, ["rev-parse", "--is-inside-work-tree"]);
    return r.code === 0 && r.stdout.trim() === "true";
  } catch {
    return false;
  }
}

export async function gitInit(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await gitOk(dir, ["init", "--quiet"]);
}

export interface CommitResult {
  ok: boolean;
  /** The new commit, or null when there was nothing to commit (or it failed). */
  sha: string | null;
  /** "committed …", "nothing to commit", or git's error text. */
  message: string;
  /** Changed files left out on purpose (config.yml holding a literal `server.auth_token`). */
  leftOut?: string[];
}

/**
 * `git add -A` then commit. Nothing to commit is a success with `sha: null`; a failure is returned
 * (ok: false, git's stderr) rather than thrown so the caller can record it in the run record.
 * A fallback identity is passed only when the repo has none, so a user's own identity always wins.
 * The repo's hooks run (no --no-verify): a pre-commit hook that rejects the agent's work is the
 * user's policy, and its refusal shows up in the log and the run record like any failed commit.
 * A config.yml holding a literal `server.auth_token` is left out (`leftOut`, see unstageSecretConfig).
 */
export async function commitAll(root: string, message: string): Promise<CommitResult> {
  const add = await git(root, ["add", "-A"]);
  if (add.code !== 0) return { ok: false, sha: null, message: `git add -A failed: ${tail(add)}` };
  const secret = await unstageSecretConfig(root);
  if (secret.error !== null) return { ok: false, sha: null, message: secret.error };
  const leftOut = secret.path !== null ? { leftOut: [secret.path] } : {};
  const staged = await git(root, ["diff", "--cached", "--quiet"]);
  if (staged.code === 0) return { ok: true, sha: null, message: "nothing to commit", ...leftOut };
  if (staged.code !== 1 && !(await hasNoCommits(root))) {
    return { ok: false, sha: null, message: `git diff --cached failed: ${tail(staged)}` };
  }
  const identity = (await hasIdentity(root))
    ? []
    : ["-c", "user.name=codex-autorunner", "-c", "user.email=codex-autorunner@localhost"];
  const commit = await git(root, [...identity, "commit", "--quiet", "-m", message]);
  if (commit.code !== 0) {
    const text = tail(commit);
    if (/nothing (added )?to commit/.test(text)) {
      return { ok: true, sha: null, message: "nothing to commit", ...leftOut };
    }
    return { ok: false, sha: null, message: `git commit failed: ${text}` };
  }
  const head = await git(root, ["rev-parse", "HEAD"]);
  const sha = head.code === 0 ? head.stdout.trim() : null;
  return { ok: true, sha, message: sha ? `committed ${sha.slice(0, 12)}` : "committed", ...leftOut };
}

/**
 * A token written into config.yml must not reach the history (a pushed repo publishes it): when the
 * staged config.yml sets `server.auth_token`, it is unstaged again (index back to HEAD's version, or
 * removed from the index before the first commit) and stays changed in the work tree only.
 */
async function unstageSecretConfig(root: string): Promise<{ path: string | null; error: string | null }> {
  const none = { path: null, error: null };
  const changed = await git(root, ["diff", "--cached", "--name-only", "--", CONFIG_FILE]);
  if (changed.code !== 0 || changed.stdout.trim() === "") return none;
  const staged = await git(root, ["show", `:${CONFIG_FILE}`]); // fails when the change is a deletion
  if (staged.code !== 0) return none;
  // Loaded on use: the YAML parser it needs would otherwise load at every runner start.
  const { configHoldsAuthToken } = await import("../config/literal-token.js");
  if (!configHoldsAuthToken(staged.stdout)) return none;
  const undo = (await hasNoCommits(root))
    ? await git(root, ["rm", "--cached", "--quiet", "--", CONFIG_FILE])
    : await git(root, ["reset", "--quiet", "--", CONFIG_FILE]);
  if (undo.code !== 0) {
    return {
      path: null,
      error: `could not leave ${CONFIG_FILE} (it holds server.auth_token) out of the commit: ${tail(undo)}`,
    };
  }
  return { path: CONFIG_FILE, error: null };
}

function tail(r: GitResult): string {
  return (r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`).slice(-2000);
}

async function hasIdentity(root: string): Promise<boolean> {
  const [name, email] = await Promise.all([
    git(root, ["config", "user.name"]),
    git(root, ["config", "user.email"]),
  ]);
  const envOk = (k: string) => Boolean(process.env[`GIT_AUTHOR_${k}`] && process.env[`GIT_COMMITTER_${k}`]);
  return (name.code === 0 || envOk("NAME")) && (email.code === 0 || envOk("EMAIL"));
}

async function hasNoCommits(root: string): Promise<boolean> {
  return (await git(root, ["rev-parse", "--verify", "--quiet", "HEAD"])).code !== 0;
}

/**
 * A hash of the work tree as git sees it, from one git call: `git status --porcelain=v2 -z
 * --untracked-files=all` lists every changed, staged and untracked path with its modes and its object
 * names in HEAD and the index (so a staged change counts), and the work-tree content of each listed path
 * is folded in (so a second edit to an already modified file counts). Equal before and after a run = the
 * run changed nothing git can see (the no-progress breaker uses it). Works before the first commit too.
 */
export async function workTreeFingerprint(root: string): Promise<string> {
  const status = await gitOk(root, ["status", "--porcelain=v2", "-z", "--untracked-files=all"]);
  const hash = createHash("sha256");
  hash.update(status);
  const base = Buffer.from(root.endsWith("/") ? root : `${root}/`);
  // Paths as bytes: a name that is not valid UTF-8 must still reach the file.
  for (const path of statusPaths(status)) hash.update(await contentDigest(Buffer.concat([base, path])));
  return hash.digest("hex");
}

/** Fields before the path in each porcelain v2 record: `1` ordinary, `2` renamed/copied, `u` unmerged, `?` untracked. */
const FIELDS_BEFORE_PATH: Record<string, number> = { "1": 8, "2": 9, u: 10, "?": 1 };

/** The path of every record of `git status --porcelain=v2 -z` (a rename's original path is skipped). */
function statusPaths(status: Buffer): Buffer[] {
  const paths: Buffer[] = [];
  let pos = 0;
  while (pos < status.length) {
    let end = status.indexOf(0, pos);
    if (end < 0) end = status.length;
    const fields = FIELDS_BEFORE_PATH[String.fromCharCode(status[pos] as number)];
    if (fields !== undefined) {
      let at = pos;
      for (let i = 0; i < fields && at >= 0; i++) {
        const space = status.indexOf(0x20, at);
        at = space >= 0 && space < end ? space + 1 : -1;
      }
      if (at >= 0 && at < end) paths.push(status.subarray(at, end));
    }
    // A rename/copy record is followed by its original path as a NUL-terminated field of its own.
    if (status[pos] === 0x32) end = Math.max(end, status.indexOf(0, end + 1));
    pos = end + 1;
  }
  return paths;
}

/** Files up to this size are read at once, larger ones streamed. */
const READ_AT_ONCE_BYTES = 4 * 1024 * 1024;

/**
 * sha256 of the file's bytes (a symlink: of its target), so each file adds a fixed-size digest; "-" for
 * a folder (a submodule) or a file that vanished or cannot be read (its status line is enough).
 */
async function contentDigest(path: Buffer): Promise<Buffer | string> {
  try {
    const st = await fsp.lstat(path);
    const h = createHash("sha256");
    if (st.isSymbolicLink()) h.update(await fsp.readlink(path, { encoding: "buffer" }));
    else if (!st.isFile()) return "-";
    else if (st.size <= READ_AT_ONCE_BYTES) h.update(await fsp.readFile(path));
    else for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    return h.digest();
  } catch {
    return "-";
  }
}
