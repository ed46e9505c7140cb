/**
 * A temp git repo for the browser tests, driven by a stand-in agent written next to it: the agent
 * prints a few lines slowly (so a test can watch them stream), ticks the first `[ ]` of the TODO and
 * exits 0. Nothing here mocks the product: `car serve` and the runner are the real built ones.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WebRepo {
  root: string;
  dir: string;
  todoPath: string;
  readTodo(): string;
  writeTodo(text: string): void;
  cleanup(): void;
}

export interface WebRepoOptions {
  items?: string[];
  /** Lines the agent prints per run, one every `lineDelayMs`. */
  lines?: number;
  lineDelayMs?: number;
  /** Exit code of the agent (non-zero: the run fails and the loop stops in error). */
  exitCode?: number;
}

function agentScript(todoPath: string, lines: number, delayMs: number, exitCode: number): string {
  return `// stand-in agent for the web e2e tests
import { readFileSync, writeFileSync } from "node:fs";
const todo = ${JSON.stringify(todoPath)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let prompt = "";
for await (const chunk of process.stdin) prompt += chunk;
console.log("stand-in: got a prompt of " + prompt.length + " chars");
for (let i = 1; i <= ${lines}; i++) {
  await sleep(${delayMs});
  if (i % 3 === 0) console.error("stand-in: warning " + i);
  else console.log("stand-in: working step " + i);
}
const text = readFileSync(todo, "utf8");
const m = /^(\\s*[-*+] \\[) (\\].*)$/m.exec(text);
if (m) {
  writeFileSync(todo, text.slice(0, m.index) + m[1] + "x" + m[2] + text.slice(m.index + m[0].length));
  console.log("stand-in: ticked" + m[2].slice(1));
} else {
  console.log("stand-in: nothing left to do");
}
if (${exitCode} !== 0) {
  console.error("stand-in: failing on purpose");
  process.exit(${exitCode});
}
`;
}

/** Chat stand-in: reads the prompt, thinks out loud slowly, answers. Never touches files. */
const CHAT_AGENT = `let prompt = "";
for await (const chunk of process.stdin) prompt += chunk;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log("Looking at the TODO (" + (prompt.includes("<USER_MESSAGE>") ? "with" : "without") + " a user message).");
await sleep(300);
console.log("Add a section about access tokens to the README.");
`;

export function makeWebRepo(opts: WebRepoOptions = {}): WebRepo {
  const root = mkdtempSync(join(tmpdir(), "car-web-e2e-"));
  const dir = join(root, ".codex-autorunner");
  mkdirSync(dir, { recursive: true });
  const todoPath = join(dir, "TODO.md");
  const items = opts.items ?? ["first task", "second task", "third task"];
  writeFileSync(todoPath, `# TODO\n\n${items.map((t) => `- [ ] ${t}`).join("\n")}\n`);
  writeFileSync(join(dir, "PROGRESS.md"), "# Progress\n");
  writeFileSync(join(dir, "OPINIONS.md"), "# Opinions\n\n- Keep it small.\n");
  const agent = join(root, "..", `${root.split("/").pop()}-agent.mjs`);
  writeFileSync(agent, agentScript(todoPath, opts.lines ?? 6, opts.lineDelayMs ?? 400, opts.exitCode ?? 0));
  const chatAgent = agent.replace(/-agent\.mjs$/, "-chat.mjs");
  writeFileSync(chatAgent, CHAT_AGENT);
  // JSON is valid YAML; the path to node and the script need no quoting rules this way.
  const config = {
    version: 1,
    codex: { binary: process.execPath, args: [agent] },
    chat: { args: [chatAgent] },
    runner: { sleep_seconds: 0, no_progress_runs: 0 },
  };
  writeFileSync(join(dir, "config.yml"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, ".gitignore"), "state.json\n*.log\n*.idx\nlock\nstop\nruns/\n");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  git("init", "-q");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "add", "-A");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "commit", "-q", "-m", "init");
  return {
    root,
    dir,
    todoPath,
    readTodo: () => readFileSync(todoPath, "utf8"),
    writeTodo: (text) => writeFileSync(todoPath, text),
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
      rmSync(agent, { force: true });
      rmSync(chatAgent, { force: true });
    },
  };
}
