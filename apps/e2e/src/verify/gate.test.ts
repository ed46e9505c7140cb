/**
 * Verification gates with the real codex: a run whose agent ticks an item while the gate fails is
 * reopened, not committed, recorded as failed and told about it in the next prompt, and the loop stops
 * after max_consecutive_failures; a passing gate lets the run be committed and `car status` says so.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCar, startModelServer } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { makeCodexRepo, readLog, tickingModel, trackForCleanup } from "../codex/setup.js";
import { freshPrompts, git, initialCommit, jobModel, readRecord } from "./support.js";

const tracked = trackForCleanup();

const FAILING_LINE = "FAILING: expected 2 got 3";

describe("verification gate with the real codex", () => {
  it("reopens what a failing run ticked, commits nothing, feeds the failure to the next run, stops after 2", async () => {
    const srv = await startModelServer({ script: tickingModel });
    tracked.server = srv;
    const r = makeCodexRepo(srv, {
      todo: ["first task", "second task"],
      extraConfig: {
        git: { auto_commit: true },
        verify: {
          commands: [{ name: "test", run: `echo '${FAILING_LINE}'; exit 1`, timeout_seconds: 60 }],
          on_fail: "reopen",
          max_consecutive_failures: 2,
        },
      },
    });
    tracked.repo = r;
    const todoPath = join(r.dir, "TODO.md");
    const todoBefore = readFileSync(todoPath, "utf8");
    const head = initialCommit(r.root);

    const run = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    const why = `${run.stdout}\n${run.stderr}\n${readLog(r)}`;
    expect(run.code, why).toBe(1);
    expect(run.stderr).toContain(
      "car: the verification gate stopped the loop: verification failed 2 runs in a row (last: test: exit code 1) (2 runs, last run 2)",
    );
    expect(run.stderr).toContain("car log --run 2");

    // Exactly two runs, and each one's codex really ticked the first item (exit 0 of its shell call).
    expect(freshPrompts(srv.requests)).toHaveLength(2);
    expect(srv.requests.filter((q) => q.isFollowUp).map((q) => q.functionOutputs.at(-1)?.output)).toEqual([
      expect.stringContaining("exited with code 0"),
      expect.stringContaining("exited with code 0"),
    ]);
    // The item is open again: the TODO is byte for byte what it was; nothing was committed.
    expect(readFileSync(todoPath, "utf8")).toBe(todoBefore);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);
    expect(git(r.root, "rev-list", "--count", "HEAD")).toBe("1");

    for (const id of [1, 2]) {
      const rec = readRecord(r, id);
      expect(rec.outcome).toBe("completed");
      expect(rec.commit).toBeNull();
      expect(rec.verify).toMatchObject({
        passed: false,
        failed_command: "test",
        aborted: false,
        reopened: [{ text: "first task" }],
      });
      expect(rec.verify?.commands).toHaveLength(1);
      expect(rec.verify?.commands[0]).toMatchObject({ name: "test", exit_code: 1, passed: false });
      expect(rec.verify?.commands[0]?.output_tail).toContain(FAILING_LINE);
    }

    // Run 2's prompt (the model's second fresh request) carries the failure and the reopened item.
    const [prompt1, prompt2] = freshPrompts(srv.requests);
    expect(prompt1).not.toContain("<VERIFY_FAILED>");
    expect(prompt2).toContain("<VERIFY_FAILED>");
    expect(prompt2).toContain("after run 1");
    expect(prompt2).toContain("Result: exit code 1");
    expect(prompt2).toContain(FAILING_LINE);
    expect(prompt2).toMatch(/^- \[ \] first task$/m);

    // The failing output is in the run's log block, marked as verify output.
    const log = await runCar(["log", "--run", "1"], { cwd: r.root, env: r.env });
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain(`[verify test] ${FAILING_LINE}`);
    expect(log.stdout).toContain("[car] verify test: FAILED (exit code 1)");
    expect(log.stdout).toContain("[car] no commit for run 1: its verification failed");

    const status = await runCar(["status", "--json"], { cwd: r.root, env: r.env });
    expect(status.code, status.stderr).toBe(0);
    const body = JSON.parse(status.stdout) as {
      status: string;
      reason: string | null;
      last_verify: { run_id: number; passed: boolean; failed_command: string; consecutive_failures: number };
    };
    expect(body.status).toBe("error");
    expect(body.reason).toContain("verification failed 2 runs in a row");
    expect(body.last_verify).toMatchObject({
      run_id: 2,
      passed: false,
      failed_command: "test",
      consecutive_failures: 2,
    });
  });

  it("commits a run once its gate passes; the failed run before it is not committed; status shows the verdict", async () => {
    // The gate wants fixed.txt; codex writes it only after a prompt told it the gate failed.
    const srv = await startModelServer({
      script: jobModel((_item, req) =>
        req.prompt.includes("<VERIFY_FAILED>") ? "echo fixed > fixed.txt" : null,
      ),
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv, {
      todo: ["only task"],
      extraConfig: {
        git: { auto_commit: true },
        verify: {
          commands: [{ name: "check", run: "test -f fixed.txt && echo gate ok", timeout_seconds: 60 }],
        },
      },
    });
    tracked.repo = r;
    const head = initialCommit(r.root);

    const run = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}\n${readLog(r)}`).toBe(0);
    expect(run.stdout).toContain("car: all TODO items are done (2 runs, last run 2)");

    const r1 = readRecord(r, 1);
    expect(r1.verify).toMatchObject({ passed: false, failed_command: "check" });
    expect(r1.commit).toBeNull();
    const r2 = readRecord(r, 2);
    expect(r2.verify).toMatchObject({ passed: true, failed_command: null, reopened: [] });
    expect(r2.verify?.commands[0]?.output_tail).toContain("gate ok");
    expect(r2.commit?.ok).toBe(true);

    // One commit, for run 2, on top of the start, holding the agent's fix and the ticked item.
    expect(git(r.root, "rev-list", "--count", "HEAD")).toBe("2");
    expect(git(r.root, "rev-parse", "HEAD~1")).toBe(head);
    expect(git(r.root, "show", "HEAD:fixed.txt")).toBe("fixed");
    expect(git(r.root, "show", "HEAD:.codex-autorunner/TODO.md")).toContain("- [x] only task");
    expect(git(r.root, "status", "--porcelain")).toBe("");

    const status = await runCar(["status"], { cwd: r.root, env: r.env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^verify: +passed \(run 2\)$/m);
    expect(status.stdout).toMatch(/^status: +idle/m);
  });
});
