/**
 * Shared pieces of the verify/checkpoint/rollback suites: git as the user runs it, a full listing of
 * the work tree with content hashes, and a scripted model whose codex does one shell job per TODO item.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "@codex-autorunner/core";
import {
  firstOpenItem,
  type ModelRequest,
  type ReplyStep,
  runCommand,
  say,
  tickItemCommand,
} from "@codex-autorunner/testkit";

/** `runs/<id>.json` of the repo's car folder, as the runner wrote it. */
export function readRecord(repo: { dir: string }, id: number): RunRecord {
  return JSON.parse(readFileSync(join(repo.dir, "runs", `${id}.json`), "utf8")) as RunRecord;
}

/**
 * git in the test repo. GIT_OPTIONAL_LOCKS=0: our own `git status` must not refresh (rewrite) the
 * index, or the index-bytes comparisons would measure the test instead of car.
 */
export function git(root: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  }).replace(/\n$/, "");
}

/** `git status --porcelain` lines, sorted (untracked files listed one by one). */
export function porcelain(root: string): string[] {
  const out = git(root, "status", "--porcelain", "--untracked-files=all");
  return out === "" ? [] : out.split("\n").sort();
}

/**
 * porcelain() without car's own folder: checkpoints and rollbacks leave `.codex-autorunner/` (config,
 * TODO, state) alone by design, so after HEAD moves its tracked files may show as changed.
 */
export function porcelainOutsideCar(root: string): string[] {
  return porcelain(root).filter((line) => !line.slice(3).startsWith(".codex-autorunner/"));
}

/** Every ref under refs/car/ with what it points at. */
export function carRefs(root: string): string[] {
  const out = git(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/car/");
  return out === "" ? [] : out.split("\n");
}

export function indexHash(root: string): string {
  return createHash("sha256")
    .update(readFileSync(join(root, ".git", "index")))
    .digest("hex");
}

/**
 * path → "file <mode> <sha256>" / "link <target>" for every file under `root`, except .git and car's
 * own folder (the tool's state, which a rollback deliberately leaves alone). Folders are not listed:
 * git tracks files, and an emptied folder is not content.
 */
export function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      if (path === ".git" || path === ".codex-autorunner") continue;
      const abs = join(root, path);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out[path] = `link ${readlinkSync(abs)}`;
      else if (st.isDirectory()) walk(path);
      else {
        const hash = createHash("sha256").update(readFileSync(abs)).digest("hex");
        out[path] = `file ${(st.mode & 0o777).toString(8)} ${hash}`;
      }
    }
  };
  walk("");
  return out;
}

/** Commits everything as the user's starting point; returns HEAD. */
export function initialCommit(root: string): string {
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "start");
  return git(root, "rev-parse", "HEAD");
}

/**
 * A model that, on a fresh prompt, has codex run `jobs[item]` for the first open TODO item followed by
 * the command that ticks it (one shell call); once codex sends the output back it reports the result.
 * `jobs` may also be a function of the request (e.g. to react to a <VERIFY_FAILED> block).
 */
export function jobModel(
  jobs: Record<string, string> | ((item: string, req: ModelRequest) => string | null),
): (req: ModelRequest) => ReplyStep {
  return (req) => {
    const item = firstOpenItem(req.prompt);
    if (!req.isFollowUp) {
      if (item === null) return say("Nothing left to do.");
      const job = typeof jobs === "function" ? jobs(item, req) : (jobs[item] ?? null);
      const tick = tickItemCommand(item);
      return runCommand(job ? `${job} && ${tick}` : tick);
    }
    const ok = req.functionOutputs.at(-1)?.output.includes("exited with code 0") ?? false;
    return say(ok ? `Did: ${item ?? "?"}` : `Failed: ${item ?? "?"}`);
  };
}

/** The fresh prompts (one per run attempt), in order. */
export function freshPrompts(requests: readonly ModelRequest[]): string[] {
  return requests.filter((r) => !r.isFollowUp).map((r) => r.prompt);
}
