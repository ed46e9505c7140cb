import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTempRepo, runCar, spawnCar, type TempRepo, waitFor } from "@codex-autorunner/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockPath, readLog, readState, statusJson, todoPath } from "./test-support.js";

describe("car run with the stand-in agent (built bin)", () => {
  let repo: TempRepo;
  let promptDir: string;
  let initialProgress: string;
  let initialOpinions: string;
  let initialTodo: string;
  let run: Awaited<ReturnType<typeof runCar>>;

  beforeAll(async () => {
    repo = makeTempRepo({ useCli: true });
    promptDir = mkdtempSync(join(tmpdir(), "car-prompts-"));
    initialProgress = readFileSync(join(repo.dir, "PROGRESS.md"), "utf8");
    initialOpinions = readFileSync(join(repo.dir, "OPINIONS.md"), "utf8");
    initialTodo = readFileSync(todoPath(repo.root), "utf8");
    run = await runCar(["run"], {
      cwd: repo.root,
      env: { STAND_IN_PROMPT_DIR: promptDir },
      timeoutMs: 90_000,
    });
  });

  afterAll(() => {
    repo?.cleanup();
    if (promptDir) rmSync(promptDir, { recursive: true, force: true });
  });

  it("completes a 3-item TODO in 3 runs and exits 0", () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const todo = readFileSync(todoPath(repo.root), "utf8");
    expect(todo).toContain("- [x] first task");
    expect(todo).toContain("- [x] second task");
    expect(todo).toContain("- [x] third task");
    expect(todo).not.toContain("[ ]");
    expect(readFileSync(join(repo.dir, "PROGRESS.md"), "utf8")).toContain("- done: third task");
  });

  it("writes the start/end markers of runs 1..3 in order, with the agent's lines inside", () => {
    const log = readLog(repo.root);
    let at = -1;
    for (const id of [1, 2, 3]) {
      const start = log.indexOf(`=== run ${id} start ===\n`);
      const end = log.indexOf(`=== run ${id} end (code 0) ===\n`);
      expect(start, `start marker of run ${id}`).toBeGreaterThan(at);
      expect(end, `end marker of run ${id}`).toBeGreaterThan(start);
      const block = log.slice(start, end);
      expect(block).toMatch(
        new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\] run=${id} stdout: ticked: `, "m"),
      );
      expect(block).toMatch(new RegExp(`run=${id} stderr: working on: `));
      at = end;
    }
    expect(log).not.toContain("=== run 4 start ===");
  });

  it("prints plain lines (no escape codes) when stdout is not a terminal", () => {
    expect(run.stdout).toContain("=== run 1 start ===");
    expect(run.stdout).toContain("ticked: first task");
    expect(run.stdout).toContain("=== run 3 end (code 0) ===");
    expect(run.stdout).not.toContain("\x1b[");
  });

  it("leaves state idle with the last run's id and exit code, and no lock", async () => {
    const state = readState(repo.root);
    expect(state.status).toBe("idle");
    expect(state.last_run_id).toBe(3);
    expect(state.last_exit_code).toBe(0);
    expect(existsSync(lockPath(repo.root))).toBe(false);
    const status = await statusJson(repo.root);
    expect(status.status).toBe("idle");
    expect(status.running).toBe(false);
    expect(status).toMatchObject({ outstanding_count: 0, done_count: 3 });
    expect(status.last_run?.id).toBe(3);
  });

  it("gives the agent the three docs on stdin, and from run 2 the previous run's output", () => {
    const prompts = readdirSync(promptDir).sort();
    expect(prompts).toEqual(["prompt-1.txt", "prompt-2.txt", "prompt-3.txt"]);
    const p1 = readFileSync(join(promptDir, "prompt-1.txt"), "utf8");
    expect(p1).toContain(initialTodo.trim());
    expect(p1).toContain(initialProgress.trim());
    expect(p1).toContain(initialOpinions.trim());
    expect(p1).toMatch(/<TODO>[\s\S]*- \[ \] first task[\s\S]*<\/TODO>/);
    expect(p1).toMatch(/<PROGRESS>/);
    expect(p1).toMatch(/<OPINIONS>/);
    expect(p1).not.toContain("ticked: first task");

    const p2 = readFileSync(join(promptDir, "prompt-2.txt"), "utf8");
    expect(p2).toContain("- [x] first task");
    expect(p2).toMatch(/<PREV_RUN_OUTPUT>[\s\S]*ticked: first task[\s\S]*<\/PREV_RUN_OUTPUT>/);
    // Log prefixes are stripped from the previous output.
    expect(p2).not.toContain("run=1 stdout:");
    const p3 = readFileSync(join(promptDir, "prompt-3.txt"), "utf8");
    expect(p3).toContain("ticked: second task");
    expect(p3).not.toContain("ticked: first task");
  });

  it("log --run N prints exactly run N's block", async () => {
    const r = await runCar(["log", "--run", "2"], { cwd: repo.root });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("=== run 2 start ===");
    expect(lines[lines.length - 1]).toBe("=== run 2 end (code 0) ===");
    expect(r.stdout).toContain("ticked: second task");
    expect(r.stdout).not.toContain("run 1");
    expect(r.stdout).not.toContain("run=3");
  });

  it("log without options prints the last run's block", async () => {
    const r = await runCar(["log"], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("=== run 3 start ===\n")).toBe(true);
    expect(r.stdout.trimEnd().endsWith("=== run 3 end (code 0) ===")).toBe(true);
  });

  it("log --tail N prints the last N lines", async () => {
    const r = await runCar(["log", "--tail", "2"], { cwd: repo.root });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("=== run 3 end (code 0) ===");
    const all = readLog(repo.root).trimEnd().split("\n");
    expect(lines[0]).toBe(all[all.length - 2]);
  });

  it("log --run of a run that does not exist exits 1; a bad --tail is a usage error", async () => {
    const missing = await runCar(["log", "--run", "9"], { cwd: repo.root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^car: .*9/m);
    const bad = await runCar(["log", "--tail", "-3"], { cwd: repo.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--tail");
  });

  it("status prints a readable summary", async () => {
    const r = await runCar(["status"], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status:\s+idle/);
    expect(r.stdout).toMatch(/last run:\s+#3 exit 0/);
    expect(r.stdout).toMatch(/TODO:\s+3 done, 0 outstanding/);
    expect(r.stdout).toMatch(/runner:\s+not running/);
  });

  it("a later run with nothing outstanding starts no run and exits 0", async () => {
    const r = await runCar(["run"], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(readLog(repo.root)).not.toContain("=== run 4 start ===");
  });
});

describe("car run when the agent fails", () => {
  it("agent exit 3 → car run exits 1, status error, one run logged with code 3", async () => {
    const repo = makeTempRepo();
    try {
      const r = await runCar(["run"], { cwd: repo.root, env: { STAND_IN_EXIT: "3" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^car: /m);
      expect(r.stderr).toContain("car log --run 1");
      const log = readLog(repo.root);
      expect(log).toContain("=== run 1 end (code 3) ===\n");
      expect(log).not.toContain("=== run 2 start ===");
      const status = await statusJson(repo.root);
      expect(status.status).toBe("error");
      expect(status.running).toBe(false);
      expect(readState(repo.root).last_exit_code).toBe(3);
      expect(existsSync(lockPath(repo.root))).toBe(false);
    } finally {
      repo.cleanup();
    }
  });

  it("a closed stdout (`car run | head -1`) does not cut the loop short", async () => {
    const repo = makeTempRepo();
    try {
      const car = spawnCar(["run"], { cwd: repo.root });
      await waitFor(() => car.stdout().length > 0, { what: "first output" });
      car.child.stdout!.destroy(); // the reader goes away, as `head` does
      const r = await car.exited;
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain("EPIPE");
      expect(readFileSync(todoPath(repo.root), "utf8")).not.toContain("[ ]");
      expect(readLog(repo.root)).toContain("=== run 3 end (code 0) ===\n");
    } finally {
      repo.cleanup();
    }
  });

  it("once does exactly one run", async () => {
    const repo = makeTempRepo();
    try {
      const r = await runCar(["once"], { cwd: repo.root });
      expect(r.code).toBe(0);
      const log = readLog(repo.root);
      expect(log).toContain("=== run 1 end (code 0) ===\n");
      expect(log).not.toContain("=== run 2 start ===");
      expect(readFileSync(todoPath(repo.root), "utf8")).toContain("- [ ] second task");
    } finally {
      repo.cleanup();
    }
  });
});
