import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Test helpers for the checkpoint suites: real temp repos, real git, full listings of the work tree. */

export interface TestRepo {
  root: string;
  /** Runs git in the repo; trimmed stdout. */
  git(...args: string[]): string;
  cleanup(): void;
}

export function tempRepo(opts: { commits?: boolean } = {}): TestRepo {
  const root = mkdtempSync(join(tmpdir(), "car-checkpoint-"));
  // GIT_OPTIONAL_LOCKS=0: `git status` here must not refresh (rewrite) the index it is checking.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: "0" };
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.invalid");
  git("config", "user.name", "car test");
  git("config", "commit.gpgsign", "false");
  if (opts.commits !== false) git("commit", "-q", "--allow-empty", "-m", "empty start");
  return { root, git, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Every entry under `root` except `.git`, sorted, one string each: `path file <mode> <sha256>`,
 * `path link <target>`, `path dir`. Equal listings = equal work trees, modes and symlinks included.
 */
export function listing(root: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === ".git" || skip(path)) continue;
      const full = join(root, path);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push(`${path} link ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`${path} dir`);
        walk(path);
      } else {
        const sha = createHash("sha256").update(readFileSync(full)).digest("hex");
        out.push(`${path} file ${(st.mode & 0o777).toString(8)} ${sha}`);
      }
    }
  };
  walk("");
  return out;
}

/** What checkpointing must never change: status, the index file's bytes, HEAD, branch, stash, refs outside refs/car. */
export function gitState(repo: TestRepo): Record<string, string> {
  const indexFile = join(repo.root, ".git", "index");
  const quiet = (...args: string[]) => {
    try {
      return repo.git(...args);
    } catch {
      return "(none)";
    }
  };
  return {
    status: repo.git("status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignored"),
    index: existsSync(indexFile)
      ? createHash("sha256").update(readFileSync(indexFile)).digest("hex")
      : "(none)",
    head: quiet("rev-parse", "-q", "--verify", "HEAD"),
    branch: quiet("symbolic-ref", "-q", "HEAD"),
    stash: quiet("stash", "list", "--format=%H %s"),
    refs: repo.git("for-each-ref", "--format=%(refname) %(objectname)").replace(/^refs\/car\/.*$\n?/gm, ""),
  };
}
