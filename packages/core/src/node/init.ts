import { promises as fsp } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { AgentName } from "../agents/names.js";
import { renderDefaultConfigYaml } from "../config/parse.js";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { CarError, isCarError } from "../errors.js";
import { initialState, serializeState } from "../state/transitions.js";
import { CONFIG_SCHEMA_FILE, CONFIG_SCHEMA_REF, syncConfigSchema } from "./config-schema-file.js";
import { writeFileAtomic } from "./fs/atomic.js";
import { gitInit } from "./git.js";
import { lockStatus } from "./lock.js";
import { CAR_DIR, carPaths, findRepoRoot } from "./paths.js";

export interface InitOptions {
  /** Replace the config, state and .gitignore (docs and the log are never replaced). */
  force?: boolean;
  /** Run `git init` when the folder is not in a git repository. */
  gitInit?: boolean;
  /** The agent the starter config runs (`runner.agent`); default: the spec's default (codex). */
  agent?: AgentName;
}

export interface InitResult {
  root: string;
  /** Repo-relative paths written. */
  created: string[];
  /** Repo-relative paths left as they were. */
  skipped: string[];
}

/**
 * What git should not track: everything the runner writes, and the schema copy (each machine's car
 * keeps its own current). The docs and config are the user's.
 */
const CAR_GITIGNORE = `# Written by codex-autorunner: runtime and generated files only (docs and config.yml stay tracked).
state.json
codex-autorunner.log
*.idx
lock
lock.*
stop
runner.out
runs/
chats/
steer/
hub/
*.tmp
server-token
${CONFIG_SCHEMA_FILE}
`;

const STARTER_TODO = `# TODO

The agent works through this checklist from top to bottom, one run at a time, and ticks an item
(\`- [x]\`) when it is done. The loop stops when no unchecked item is left. Write one concrete,
checkable task per item; items inside code fences or HTML comments do not count.

- [ ] Replace this item with the first task, e.g. "Add a --verbose flag to the CLI and a test for it"
- [ ] Add more items below, in the order they should be done
- [ ] Keep each item small enough for one run (a change plus its tests)
`;

const STARTER_PROGRESS = `# Progress

The agent writes here what it did in each run: what changed, what was tested, what is left.
`;

const STARTER_OPINIONS = `# Opinions

Your standing instructions for the agent: conventions, libraries to prefer or avoid, how to test,
what not to touch. The agent reads this every run.
`;

/**
 * Set up `.codex-autorunner/` in a git repository: config (its first line points editors at the
 * config.schema.json written beside it), state, an empty log, the three docs with starter content,
 * and the .gitignore. Never replaces an existing file without `force`, and
 * even then keeps the docs and the log (the user's and the agent's work).
 */
export async function initRepo(path: string, options: InitOptions = {}): Promise<InitResult> {
  const target = resolve(path);
  let root: string;
  try {
    root = await findRepoRoot(target);
  } catch (err) {
    if (!isCarError(err, "NOT_A_REPO")) throw err;
    if (!options.gitInit) {
      throw new CarError(
        "NOT_A_REPO",
        `${target} is not inside a git repository; run \`git init\` first or pass --git-init.`,
        { file: target, hint: "--git-init" },
      );
    }
    await gitInit(target);
    root = target;
  }
  const paths = carPaths(root);
  const exists = (p: string) =>
    fsp.stat(p).then(
      () => true,
      () => false,
    );
  if ((await exists(paths.config)) && !options.force) {
    throw new CarError(
      "ALREADY_INITIALIZED",
      `${relative(root, paths.config)} already exists; nothing was changed (use --force to rewrite the config, state and .gitignore).`,
      { file: relative(root, paths.config) },
    );
  }
  const lock = await lockStatus(paths.lock);
  if (lock.alive && lock.info) {
    throw new CarError(
      "LOCK_HELD",
      `A runner (PID ${lock.info.pid}) is running in ${root}; stop it before init.`,
      {
        pid: lock.info.pid,
        file: relative(root, paths.lock),
      },
    );
  }

  await fsp.mkdir(paths.dir, { recursive: true });
  const created: string[] = [];
  const skipped: string[] = [];
  const files: Array<{ path: string; content: string; replaceable: boolean }> = [
    {
      path: paths.config,
      content: renderDefaultConfigYaml({
        schema: CONFIG_SCHEMA_REF,
        ...(options.agent !== undefined ? { values: { "runner.agent": options.agent } } : {}),
      }),
      replaceable: true,
    },
    { path: paths.state, content: serializeState(initialState()), replaceable: true },
    { path: paths.gitignore, content: CAR_GITIGNORE, replaceable: true },
    { path: paths.log, content: "", replaceable: false },
    { path: resolve(root, DEFAULT_CONFIG.docs.todo), content: STARTER_TODO, replaceable: false },
    { path: resolve(root, DEFAULT_CONFIG.docs.progress), content: STARTER_PROGRESS, replaceable: false },
    { path: resolve(root, DEFAULT_CONFIG.docs.opinions), content: STARTER_OPINIONS, replaceable: false },
  ];
  for (const f of files) {
    const rel = relative(root, f.path);
    if ((await exists(f.path)) && !(options.force && f.replaceable)) {
      skipped.push(rel);
      continue;
    }
    await fsp.mkdir(dirname(f.path), { recursive: true });
    await writeFileAtomic(f.path, f.content);
    created.push(rel);
  }
  // Derived from this version of car (not the user's): always brought up to date.
  if ((await syncConfigSchema(paths.dir)) !== "current") created.push(join(CAR_DIR, CONFIG_SCHEMA_FILE));
  return { root, created, skipped };
}
