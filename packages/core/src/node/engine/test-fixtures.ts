/**
 * Test-only helpers for the engine, control, status and doctor tests: a real git repo in a temp dir
 * set up by initRepo, and a small stand-in agent (a .mjs file run by this Node) whose behaviour is
 * chosen per test through environment variables. Not exported from the package.
 */
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { AgentBackend } from "../agent/backend.js";
import { plainBackend } from "../agent/plain.js";
import { initRepo } from "../init.js";
import { type CarPaths, carPaths } from "../paths.js";
import { endRunProcesses } from "../proc/end.js";
import { processArgv, readProcTable } from "../proc/procfs.js";

export interface TestRepo {
  root: string;
  /** Folder outside the repo for the agent's side files (prompts it received, markers). */
  side: string;
  agent: string;
  cleanup(): Promise<void>;
}

/**
 * Stand-in agent. Reads the prompt from stdin, saves it to $SIDE/prompt-<n>.txt, then by $AGENT_MODE:
 * - tick (default): ticks the first `- [ ]` in the TODO, prints two lines;
 * - fail: prints a line and exits with $AGENT_EXIT (default 3);
 * - hang: prints "ready" and waits forever (ignores nothing); hang-ignore-term: the same, ignoring SIGTERM;
 * - stall-once: the first call prints "stalling" then goes silent forever; later calls tick;
 * - wait-tick: prints "ready", waits until $SIDE/go exists, then ticks;
 * - rm-todo / rm-dir: deletes the TODO / the whole .codex-autorunner folder;
 * - noop: prints a line and changes nothing;
 * - ask-once: the first call ends with "NEEDS_INPUT: $AGENT_ASK" and changes nothing; later calls tick;
 * - background: starts `sleep 30` in a new session (pid in $SIDE/bg.pid), as a codex tool call can, then ticks.
 * With $AGENT_WRITE set, every call first writes "call <n>" to that file (a change to the work tree).
 */
export const STAND_IN_AGENT = `import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
const side = process.env.SIDE;
const todoPath = process.env.TODO_PATH ?? ".codex-autorunner/TODO.md";
const mode = process.env.AGENT_MODE ?? "tick";
let prompt = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (prompt += d));
process.stdin.on("end", () => {
  const n = readdirSync(side).filter((f) => f.startsWith("prompt-")).length + 1;
  writeFileSync(join(side, "prompt-" + n + ".txt"), prompt);
  if (process.env.AGENT_WRITE) writeFileSync(process.env.AGENT_WRITE, "call " + n + "\\n");
  const tick = () => {
    const text = readFileSync(todoPath, "utf8");
    const m = /^([ \\t]*[-*+] )\\[ \\] (.*)$/m.exec(text);
    if (!m) { console.log("nothing to do"); return; }
    writeFileSync(todoPath, text.replace(m[0], m[1] + "[x] " + m[2]));
    console.log("working on: " + m[2]);
    console.log("ticked: " + m[2]);
    console.error("a note on stderr");
  };
  if (mode === "tick") tick();
  else if (mode === "fail") { console.log("about to fail"); process.exit(Number(process.env.AGENT_EXIT ?? 3)); }
  else if (mode === "hang") { console.log("ready"); setInterval(() => {}, 1000); }
  else if (mode === "hang-ignore-term") { process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000); }
  else if (mode === "stall-once") {
    const marker = join(side, "stalled-once");
    if (!existsSync(marker)) { writeFileSync(marker, "1"); console.log("stalling"); setInterval(() => {}, 1000); }
    else tick();
  } else if (mode === "wait-tick") {
    console.log("ready");
    const t = setInterval(() => { if (existsSync(join(side, "go"))) { clearInterval(t); tick(); } }, 50);
  } else if (mode === "rm-todo") { console.log("removing the TODO"); rmSync(todoPath); }
  else if (mode === "rm-dir") { console.log("removing .codex-autorunner"); rmSync(".codex-autorunner", { recursive: true, force: true }); console.log("gone"); }
  else if (mode === "noop") console.log("looked around, changed nothing");
  else if (mode === "ask-once") {
    if (n === 1) { console.log("I need a decision."); console.log("NEEDS_INPUT: " + process.env.AGENT_ASK); }
    else tick();
  }
  else if (mode === "background") {
    const bg = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    bg.unref();
    writeFileSync(join(side, "bg.pid"), String(bg.pid));
    tick();
  }
});
`;

export interface RepoOptions {
  todo?: string;
  /** Extra YAML for the runner: section, e.g. "  max_retries: 2". */
  runner?: string;
  /** Extra top-level YAML. */
  extraYaml?: string;
}

export async function makeTestRepo(options: RepoOptions = {}): Promise<TestRepo> {
  const base = await fsp.mkdtemp(join(tmpdir(), "car-engine-"));
  const root = join(base, "repo");
  const side = join(base, "side");
  await fsp.mkdir(root);
  await fsp.mkdir(side);
  const agent = join(side, "agent.mjs");
  await fsp.writeFile(agent, STAND_IN_AGENT);
  gitInitTestRepo(root);
  await fillTestRepo(root, agent, {
    todo: "# TODO\n\n- [ ] first item\n- [ ] second item\n- [ ] third item\n",
    ...options,
  });
  return { root, side, agent, cleanup: () => removeTestDir(base) };
}

/** `git init` with a test identity. */
export function gitInitTestRepo(root: string): void {
  execFileSync("git", ["init", "--quiet"], { cwd: root });
  execFileSync("git", ["config", "user.email", "t@example.com"], { cwd: root });
  execFileSync("git", ["config", "user.name", "Test"], { cwd: root });
}

/** In a git repo: initRepo, the config for the stand-in `agent`, the TODO and a README, committed. */
export async function fillTestRepo(root: string, agent: string, options: RepoOptions): Promise<void> {
  await initRepo(root);
  await writeConfig(root, agent, options);
  await fsp.writeFile(join(root, ".codex-autorunner/TODO.md"), options.todo ?? "");
  await fsp.writeFile(join(root, "README.md"), "test repo\n");
  execFileSync("git", ["add", "-A"], { cwd: root });
  execFileSync("git", ["commit", "--quiet", "-m", "init"], { cwd: root });
}

/**
 * Ends every detached runner (startDetachedRunner's `--repo <root>`) in a repo under `base`, with all
 * it started, then removes `base`. A runner outlives the test that started it; left alive, it would
 * write into the folder again as it is removed (state.json, runs/, git objects).
 */
export async function removeTestDir(base: string): Promise<void> {
  const under = `${base}/`;
  const runners = readProcTable()
    .map((p) => p.pid)
    .filter((pid) => {
      const argv = processArgv(pid) ?? [];
      const at = argv.indexOf("--repo");
      return at >= 0 && (argv[at + 1] ?? "").startsWith(under);
    });
  if (runners.length > 0) await endRunProcesses({ pids: runners }, { graceMs: 2_000 });
  await fsp.rm(base, { recursive: true, force: true });
}

/**
 * For a test file: registers an afterEach that removes every repo the returned `setup` made during
 * the test, and returns `setup(options)`, which makes a repo and gives it with its paths.
 */
export function useTestRepos(): (options?: RepoOptions) => Promise<{ repo: TestRepo; paths: CarPaths }> {
  const made: TestRepo[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((r) => r.cleanup()));
  });
  return async (options = {}) => {
    const repo = await makeTestRepo(options);
    made.push(repo);
    return { repo, paths: carPaths(repo.root) };
  };
}

export async function writeConfig(root: string, agent: string, options: RepoOptions = {}): Promise<void> {
  const yaml = `version: 1
codex:
  binary: ${JSON.stringify(process.execPath)}
  args: [${JSON.stringify(agent)}]
runner:
  sleep_seconds: 0
  kill_grace_seconds: 0.5
  retry_base_seconds: 0
${options.runner ?? ""}
${options.extraYaml ?? ""}
`;
  await fsp.writeFile(join(root, ".codex-autorunner/config.yml"), yaml);
}

export function agentEnv(repo: TestRepo, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SIDE: repo.side, ...extra };
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function readText(path: string): Promise<string> {
  return fsp.readFile(path, "utf8");
}

/**
 * The plain backend, except that its first `times` attempts report a usage limit (`retryAfterMs`:
 * the reset time the message gave; a function picks one per attempt, 1-based).
 */
export function rateLimitedBackend(
  times: number,
  retryAfterMs?: number | ((attempt: number) => number | undefined),
): AgentBackend {
  let calls = 0;
  return {
    name: "plain",
    keepsRawEvents: false,
    createParser() {
      const inner = plainBackend.createParser();
      const n = ++calls;
      const after = typeof retryAfterMs === "function" ? retryAfterMs(n) : retryAfterMs;
      return {
        push: inner.push,
        finish: (exit) =>
          n <= times
            ? {
                ...inner.finish(exit),
                failure: {
                  kind: "rate_limit",
                  message: "usage limit reached",
                  ...(after !== undefined ? { retryAfterMs: after } : {}),
                },
              }
            : inner.finish(exit),
      };
    },
  };
}
