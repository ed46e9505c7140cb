import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { carBinPath, standInAgentPath } from "./paths.js";

export interface TempRepoOptions {
  /** TODO items (each becomes `- [ ] item`) or the whole TODO.md text. Default: three items. */
  todo?: string[] | string;
  /** Deep-merged over the stand-in config (see `standInConfig`). */
  config?: Record<string, unknown>;
  /** Create the files with the BUILT `car init` instead of writing them directly. */
  useCli?: boolean;
  /** Skip `git init` (for tests of what happens outside a repo). */
  noGit?: boolean;
  /** Prefix of the temp dir name. */
  prefix?: string;
}

export interface TempRepo {
  root: string;
  /** `<root>/.codex-autorunner` */
  dir: string;
  cleanup(): void;
}

export const DEFAULT_TODO_ITEMS = ["first task", "second task", "third task"];

/** Config that drives the loop with the stand-in agent and no sleep between runs. */
export function standInConfig(): Record<string, unknown> {
  return {
    version: 1,
    codex: { binary: process.execPath, args: [standInAgentPath()] },
    runner: { sleep_seconds: 0 },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export function todoText(todo: string[] | string): string {
  if (typeof todo === "string") return todo;
  return `# TODO\n\n${todo.map((t) => `- [ ] ${t}`).join("\n")}\n`;
}

const GITIGNORE = "state.json\n*.log\n*.idx\nlock\nstop\nruns/\n";

/** A temp git repo set up for the loop with the stand-in agent. Config is written as JSON (valid YAML). */
export function makeTempRepo(opts: TempRepoOptions = {}): TempRepo {
  const root = mkdtempSync(join(tmpdir(), opts.prefix ?? "car-test-"));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    return fill(root, opts, cleanup);
  } catch (err) {
    cleanup(); // a half-made repo is no use to the caller, who never got `cleanup`
    throw err;
  }
}

function fill(root: string, opts: TempRepoOptions, cleanup: () => void): TempRepo {
  const dir = join(root, ".codex-autorunner");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "pipe" });
  if (!opts.noGit) {
    git("init", "-q");
    git("config", "user.email", "test@example.invalid");
    git("config", "user.name", "car test");
    git("config", "commit.gpgsign", "false");
  }
  if (opts.useCli) {
    execFileSync(process.execPath, [carBinPath(), "init", root], { cwd: root, stdio: "pipe" });
  } else {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "PROGRESS.md"), "# Progress\n\n");
    writeFileSync(join(dir, "OPINIONS.md"), "# Opinions\n\n- keep changes small\n");
    writeFileSync(join(dir, ".gitignore"), GITIGNORE);
  }
  const config = deepMerge(standInConfig(), opts.config ?? {});
  writeFileSync(join(dir, "config.yml"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, "TODO.md"), todoText(opts.todo ?? DEFAULT_TODO_ITEMS));
  return { root, dir, cleanup };
}
