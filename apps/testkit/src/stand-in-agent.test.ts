import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { standInAgentPath } from "./paths.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workdir(todo: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-"));
  dirs.push(dir);
  mkdirSync(join(dir, ".codex-autorunner"));
  writeFileSync(join(dir, ".codex-autorunner", "TODO.md"), todo);
  return dir;
}

function agent(cwd: string, env: Record<string, string> = {}, input = "the prompt") {
  return spawnSync(process.execPath, [standInAgentPath()], {
    cwd,
    input,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

const todoOf = (dir: string) => readFileSync(join(dir, ".codex-autorunner", "TODO.md"), "utf8");

describe("stand-in agent", () => {
  it("ticks the first open item (not one in a code fence) and notes it in PROGRESS", () => {
    const dir = workdir("# T\n```\n- [ ] fenced\n```\n- [x] done\n  1. [ ] first open\n- [ ] second open\n");
    const r = agent(dir);
    expect(r.status).toBe(0);
    expect(todoOf(dir)).toBe(
      "# T\n```\n- [ ] fenced\n```\n- [x] done\n  1. [x] first open\n- [ ] second open\n",
    );
    expect(readFileSync(join(dir, ".codex-autorunner", "PROGRESS.md"), "utf8")).toBe("- done: first open\n");
    expect(r.stdout).toContain("ticked: first open");
    expect(r.stdout).toContain(`read a prompt of ${"the prompt".length} characters`);
    expect(r.stderr).toBe("working on: first open\n");
  });

  it("saves each prompt, numbered, when STAND_IN_PROMPT_DIR is set", () => {
    const dir = workdir("- [ ] a\n- [ ] b\n");
    const prompts = join(dir, "prompts");
    agent(dir, { STAND_IN_PROMPT_DIR: prompts }, "first prompt");
    agent(dir, { STAND_IN_PROMPT_DIR: prompts }, "second prompt");
    expect(readdirSync(prompts).sort()).toEqual(["prompt-1.txt", "prompt-2.txt"]);
    expect(readFileSync(join(prompts, "prompt-2.txt"), "utf8")).toBe("second prompt");
    expect(todoOf(dir)).toBe("- [x] a\n- [x] b\n");
  });

  it("exits with STAND_IN_EXIT; noop changes nothing; sleep beats then ticks", () => {
    const dir = workdir("- [ ] a\n- [ ] b\n");
    expect(agent(dir, { STAND_IN_EXIT: "3" }).status).toBe(3);
    expect(todoOf(dir)).toBe("- [x] a\n- [ ] b\n");
    const noop = agent(dir, { STAND_IN_MODE: "noop" });
    expect(noop.status).toBe(0);
    expect(todoOf(dir)).toBe("- [x] a\n- [ ] b\n");
    const sleep = agent(dir, { STAND_IN_MODE: "sleep", STAND_IN_SLEEP_MS: "450" });
    expect(sleep.stdout).toMatch(/heartbeat 1\n/);
    expect(todoOf(dir)).toBe("- [x] a\n- [x] b\n");
    expect(agent(dir).stdout).toContain("nothing left to do");
  });
});
