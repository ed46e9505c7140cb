import { promises as fsp } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { CarError } from "../errors.js";

/** Folder inside the repo that holds everything the tool keeps. */
export const CAR_DIR = ".codex-autorunner";

export interface CarPaths {
  root: string;
  dir: string;
  config: string;
  state: string;
  log: string;
  logIndex: string;
  lock: string;
  stop: string;
  runsDir: string;
  /** Steering messages for the running loop (`car steer`), one file each. */
  steerDir: string;
  gitignore: string;
  todo: string;
  progress: string;
  opinions: string;
  template: string;
}

/**
 * The git root at or above `start`: the first folder that has a `.git` entry (a folder, or a file as
 * in worktrees and submodules). NOT_A_REPO when none is found.
 */
export async function findRepoRoot(start: string): Promise<string> {
  const from = resolve(start);
  let dir = from;
  for (;;) {
    try {
      await fsp.stat(join(dir, ".git"));
      return dir;
    } catch {
      // not here: go up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CarError(
    "NOT_A_REPO",
    `${from} is not inside a git repository (no .git found in it or any parent folder). ` +
      "Run `git init` there, use `car init --git-init`, or pass --repo PATH.",
    { file: from },
  );
}

/** A configured path: relative to the repo root, absolute allowed. */
export function resolveRepoPath(root: string, p: string): string {
  return isAbsolute(p) ? p : resolve(root, p);
}

/** Every path the tool uses in `root`; doc and template paths come from `config` (defaults without). */
export function carPaths(root: string, config?: Pick<Config, "docs" | "prompt">): CarPaths {
  const dir = join(root, CAR_DIR);
  return {
    root,
    dir,
    config: join(dir, "config.yml"),
    state: join(dir, "state.json"),
    log: join(dir, "codex-autorunner.log"),
    logIndex: join(dir, "codex-autorunner.log.idx"),
    lock: join(dir, "lock"),
    stop: join(dir, "stop"),
    runsDir: join(dir, "runs"),
    steerDir: join(dir, "steer"),
    gitignore: join(dir, ".gitignore"),
    todo: resolveRepoPath(root, config?.docs.todo ?? `${CAR_DIR}/TODO.md`),
    progress: resolveRepoPath(root, config?.docs.progress ?? `${CAR_DIR}/PROGRESS.md`),
    opinions: resolveRepoPath(root, config?.docs.opinions ?? `${CAR_DIR}/OPINIONS.md`),
    template: resolveRepoPath(root, config?.prompt.template ?? `${CAR_DIR}/prompt.txt`),
  };
}
