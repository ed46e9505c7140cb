import { existsSync, promises as fsp, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { newRunRecord } from "../../runs/record.js";
import type { EngineEvent, RunnerState, RunRecord } from "../../types.js";
import type { AgentBackend } from "../agent/backend.js";
import { plainBackend } from "../agent/plain.js";
import { isProcessAlive } from "../proc/procfs.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { runLoop } from "./loop.js";
import { agentEnv, rateLimitedBackend, readText, useTestRepos, waitFor } from "./test-fixtures.js";

const setup = useTestRepos();

describe("runLoop", () => {
  it("completes a 3-item TODO in 3 runs with markers, state, records and prompts", async () => {
    const { repo, paths } = await setup();
    const events: EngineEvent[] = [];
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ reason: "todo_done", runs: 3, lastRunId: 3, lastExitCode: 0 });

    const log = await readText(paths.log);
    for (const id of [1, 2, 3]) {
      expect(log).toContain(`=== run ${id} start ===`);
      expect(log).toContain(`=== run ${id} end (code 0) ===`);
    }
    expect(log).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] run=2 stdout: ticked: second item$/m);
    expect(log).toMatch(/^\[[^\]]+\] run=1 stderr: a note on stderr$/m);
    expect(log.indexOf("=== run 1 end")).toBeLessThan(log.indexOf("=== run 2 start"));

    const state = await readState(paths);
    expect(state).toMatchObject({ status: "idle", last_run_id: 3, last_exit_code: 0, runner_pid: null });
    expect(state.agent_pid ?? null).toBeNull();
    expect(existsSync(paths.lock)).toBe(false);

    const r2 = (await readRunRecord(paths, 2)) as RunRecord;
    expect(r2).toMatchObject({
      id: 2,
      outcome: "completed",
      exit_code: 0,
      attempts: 1,
      backend: "plain",
      todo_before: { outstanding: 2, done: 1 },
      todo_after: { outstanding: 1, done: 2 },
    });
    expect(r2.finished_at).not.toBeNull();

    const prompt1 = await readText(join(repo.side, "prompt-1.txt"));
    const prompt2 = await readText(join(repo.side, "prompt-2.txt"));
    expect(prompt1).toContain("- [ ] first item");
    expect(prompt2).toContain("- [x] first item");
    // Run 1's output (prefixes stripped) is the previous-run output of run 2.
    expect(prompt2).toContain("ticked: first item");
    expect(prompt2).not.toContain("run=1 stdout:");
    expect(prompt1).not.toContain("ticked: first item");

    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "run.started")).toHaveLength(3);
    expect(types.filter((t) => t === "run.ended")).toHaveLength(3);
    expect(events.some((e) => e.type === "log" && e.runId === 3 && e.line === "ticked: third item")).toBe(
      true,
    );
    expect(events.at(-1)).toEqual({ type: "loop.stopped", reason: "todo_done" });
    expect(events.some((e) => e.type === "state" && e.state.status === "running")).toBe(true);
  });

  it("stops with agent_failed and status error when the agent exits 3", async () => {
    const { repo, paths } = await setup();
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "fail", AGENT_EXIT: "3" }),
    });
    expect(result).toMatchObject({ reason: "agent_failed", runs: 1, lastRunId: 1, lastExitCode: 3 });
    const state = await readState(paths);
    expect(state).toMatchObject({ status: "error", last_exit_code: 3, runner_pid: null });
    expect(state.reason).toContain("3");
    expect(await readText(paths.log)).toContain("=== run 1 end (code 3) ===");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "failed", exit_code: 3 });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("on abort mid-run kills the agent's group, writes the end marker and releases the lock", async () => {
    const { repo, paths } = await setup();
    const ac = new AbortController();
    let agentPid: number | null = null;
    const done = runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "hang" }),
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "state" && e.state.agent_pid) agentPid = e.state.agent_pid;
        if (e.type === "log" && e.line === "ready") ac.abort();
      },
    });
    const result = await done;
    expect(result).toMatchObject({ reason: "aborted", runs: 1, lastRunId: 1, lastExitCode: 143 });
    expect(await readText(paths.log)).toContain("=== run 1 end (code 143) ===");
    expect(existsSync(paths.lock)).toBe(false);
    const state = await readState(paths);
    expect(state.status).not.toBe("running");
    expect(state.runner_pid).toBeNull();
    expect(await readRunRecord(paths, 1)).toMatchObject({
      outcome: "killed",
      exit_code: 143,
      signal: "SIGTERM",
    });
    expect(agentPid).not.toBeNull();
    expect(isProcessAlive(agentPid as unknown as number)).toBe(false);
  });

  it("ends what a run left running in another session, logs it, and names the run's marker in state while it runs", async () => {
    const { repo, paths } = await setup({ todo: "- [ ] only item\n" });
    const markers: Array<string | null | undefined> = [];
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "background" }),
      onEvent: (e) => {
        if (e.type === "state" && e.state.status === "running") markers.push(e.state.agent_marker);
      },
    });
    expect(result).toMatchObject({ reason: "todo_done", runs: 1 });
    const bg = Number(await readText(join(repo.side, "bg.pid")));
    expect(isProcessAlive(bg)).toBe(false);
    expect(await readText(paths.log)).toMatch(
      /run=1 stderr: \[car\] ended 1 leftover process\(es\) of run 1\n=== run 1 end \(code 0\) ===/,
    );
    expect(markers.length).toBeGreaterThan(0);
    expect(new Set(markers)).toEqual(new Set([expect.stringMatching(/^car-[0-9a-f]+$/)]));
    expect((await readState(paths)).agent_marker ?? null).toBeNull();
  });

  it("a loop whose lock is taken over stops without writing; the taker closes its run once", async () => {
    // Two loops in one process cannot end each other by signal: the first must notice by itself.
    const { repo, paths } = await setup();
    let firstAgent = 0;
    const first = runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "hang" }),
      onEvent: (e) => {
        if (e.type === "state" && e.state.agent_pid) firstAgent = e.state.agent_pid;
      },
    }).catch((e: unknown) => e);
    await waitFor(
      async () => firstAgent > 0 && (await readText(paths.log)).includes("stdout: ready"),
      "run 1 to be up",
    );
    const second = await runLoop({ root: repo.root, force: true, env: agentEnv(repo), stopAfterRuns: 1 });
    expect(second).toMatchObject({ reason: "run_limit", runs: 1, lastRunId: 2 });
    const err = await first;
    expect(isCarError(err, "LOCK_HELD")).toBe(true);
    expect((err as Error).message).toMatch(/took over/);
    expect(isProcessAlive(firstAgent)).toBe(false);
    const log = await readText(paths.log);
    const markers = log.split("\n").filter((l) => l.startsWith("=== "));
    expect(markers).toEqual([
      "=== run 1 start ===",
      "=== run 1 end (interrupted) ===",
      "=== run 2 start ===",
      "=== run 2 end (code 0) ===",
    ]);
    expect(await readState(paths)).toMatchObject({ status: "idle", last_run_id: 2, runner_pid: null });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("retries a stalled attempt under the same run id, with one marker pair and a retry line", async () => {
    const { repo, paths } = await setup({
      todo: "- [ ] only item\n",
      runner: "  idle_timeout_seconds: 1\n  max_retries: 2",
    });
    const events: EngineEvent[] = [];
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "stall-once" }),
      onEvent: (e) => events.push(e),
    });
    expect(result).toMatchObject({ reason: "todo_done", runs: 1, lastRunId: 1 });
    const log = await readText(paths.log);
    expect(log.match(/=== run 1 start ===/g)).toHaveLength(1);
    expect(log.match(/=== run 1 end/g)).toHaveLength(1);
    expect(log).toContain("=== run 1 end (code 0) ===");
    expect(log).toMatch(/run=1 stderr: \[car\] retrying \(retry 1\/2\) in 0s: no output for 1s \(stalled\)/);
    expect(log.indexOf("stalling")).toBeLessThan(log.indexOf("[car] retrying"));
    expect(log.indexOf("[car] retrying")).toBeLessThan(log.indexOf("ticked: only item"));
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "completed", attempts: 2 });
    expect(events.filter((e) => e.type === "retry")).toEqual([
      expect.objectContaining({ type: "retry", runId: 1, attempt: 2 }),
    ]);
  });

  it("gives up with status error when a stall repeats past max_retries", async () => {
    const { repo, paths } = await setup({ runner: "  idle_timeout_seconds: 0.5\n  max_retries: 1" });
    const result = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "hang" }) });
    expect(result.reason).toBe("agent_failed");
    expect(result.detail).toContain("stalled");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "stalled", attempts: 2 });
    expect(await readState(paths)).toMatchObject({ status: "error", runner_pid: null });
  });

  it("kills a run that exceeds run_timeout_seconds (outcome timed_out)", async () => {
    const { repo, paths } = await setup({ runner: "  run_timeout_seconds: 0.5" });
    const result = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "hang" }) });
    expect(result.reason).toBe("agent_failed");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "timed_out", exit_code: 143 });
    expect(await readText(paths.log)).toContain("=== run 1 end (code 143) ===");
  });

  it("stops with no_progress when runs change neither the TODO nor the work tree", async () => {
    const { repo, paths } = await setup({ runner: "  no_progress_runs: 2" });
    const result = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "noop" }) });
    expect(result).toMatchObject({ reason: "no_progress", runs: 2, lastRunId: 2 });
    expect(await readState(paths)).toMatchObject({
      status: "error",
      reason: "no progress",
      runner_pid: null,
    });
    // Said once: the log line holds "no progress" once, the detail (the summary's text) does not repeat it.
    expect(result.detail).toBe("2 runs in a row changed neither the TODO nor the work tree");
    const log = await readText(paths.log);
    expect(log.match(/no progress/g)).toHaveLength(1);
    expect(log).toContain(`[car] no progress: ${result.detail}`);
  });

  it("stops with commit_failed and status error when a pre-commit hook refuses the commit", async () => {
    const { repo, paths } = await setup({ extraYaml: "git:\n  auto_commit: true" });
    const hook = join(repo.root, ".git", "hooks", "pre-commit");
    await fsp.mkdir(join(repo.root, ".git", "hooks"), { recursive: true });
    await fsp.writeFile(hook, "#!/bin/sh\necho 'lint says no' >&2\nexit 1\n", { mode: 0o755 });
    const events: EngineEvent[] = [];
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ reason: "commit_failed", runs: 1, lastRunId: 1, lastExitCode: 0 });
    expect(result.detail).toBe("run 1's changes are not committed; see `car log --run 1`");
    const state = await readState(paths);
    expect(state).toMatchObject({ status: "error", runner_pid: null, last_run_id: 1 });
    expect(state.reason).toMatch(/^git commit failed: .*lint says no/s);
    expect(await readRunRecord(paths, 1)).toMatchObject({
      outcome: "completed",
      commit: { ok: false, sha: null },
    });
    // git's words once in the log (inside run 1's block) and once among the live events.
    const log = await readText(paths.log);
    expect(log.match(/lint says no/g)).toHaveLength(1);
    expect(log).toMatch(/run=1 stderr: \[car\] git commit failed: .*lint says no/);
    expect(log).not.toContain("git commit failed: git commit failed");
    expect(log.indexOf("lint says no")).toBeLessThan(log.indexOf("=== run 1 end"));
    const said = events.filter((e) => e.type === "log" && e.line.includes("lint says no"));
    expect(said).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "loop.stopped", reason: "commit_failed" });
  });

  it("stops cleanly at max_total_tokens and keeps a running total in state.json", async () => {
    const { repo, paths } = await setup({
      todo: "- [ ] a\n- [ ] b\n- [ ] c\n- [ ] d\n",
      runner: "  max_total_tokens: 100",
    });
    const usage = {
      input_tokens: 50,
      cached_input_tokens: 0,
      output_tokens: 10,
      reasoning_output_tokens: 0,
      total_tokens: 60,
    };
    const backend: AgentBackend = {
      name: "plain",
      keepsRawEvents: false,
      createParser() {
        const inner = plainBackend.createParser();
        return { push: inner.push, finish: (exit) => ({ ...inner.finish(exit), usage }) };
      },
    };
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), backend });
    expect(result).toMatchObject({ reason: "token_budget", runs: 2 });
    const state = (await readState(paths)) as RunnerState;
    expect(state.status).toBe("idle");
    expect(state.tokens_total?.total_tokens).toBe(120);
    expect((await readRunRecord(paths, 2))?.usage?.total_tokens).toBe(60);
  });

  it("waits out rate limits without spending retries (state waiting, then cleared), as the same run", async () => {
    const { repo, paths } = await setup({
      todo: "- [ ] one\n- [ ] two\n",
      runner: "  max_retries: 0\n  stop_after_runs: 1\n  limit_wait_seconds: 0.1",
    });
    // Three limits in a row: the first two without a reset time (backoff), the third with one.
    const backend = rateLimitedBackend(3, (n) => (n === 3 ? 300 : undefined));
    const events: EngineEvent[] = [];
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend,
      onEvent: (e) => events.push(e),
    });
    expect(result).toMatchObject({ reason: "run_limit", runs: 1, lastRunId: 1 });
    const record = await readRunRecord(paths, 1);
    expect(record).toMatchObject({ outcome: "completed", attempts: 4 });
    // 0.1 s + 0.2 s of backoff, then 0.3 s to the reset time.
    expect(record?.limit_wait_ms).toBeGreaterThanOrEqual(550);
    const waits = events.flatMap((e) => (e.type === "waiting" ? [e] : []));
    expect(waits).toHaveLength(3);
    expect(waits[0]?.waiting).toMatchObject({ reason: "rate_limit", message: "usage limit reached" });
    expect(events.filter((e) => e.type === "resumed")).toHaveLength(3);
    expect(events.filter((e) => e.type === "retry")).toEqual([]);
    const waitingStates = events.filter((e) => e.type === "state" && e.state.status === "waiting");
    expect(waitingStates.length).toBeGreaterThanOrEqual(3);
    expect(waitingStates.every((e) => e.type === "state" && e.state.waiting?.reason === "rate_limit")).toBe(
      true,
    );
    const final = await readState(paths);
    expect(final.waiting ?? null).toBeNull();
    expect(final.status).toBe("idle");
    const log = await readText(paths.log);
    expect(
      log.match(/\[car\] usage limit: waiting until \S+ \(1s, backoff\): usage limit reached/g),
    ).toHaveLength(2);
    expect(log).toMatch(/\[car\] usage limit: waiting until \S+ \(1s, its reset time\)/);
  });

  it("does not retry a fatal failure even with retries left", async () => {
    const { repo, paths } = await setup({ runner: "  max_retries: 3" });
    const backend: AgentBackend = {
      name: "plain",
      keepsRawEvents: false,
      createParser() {
        const inner = plainBackend.createParser();
        return {
          push: inner.push,
          finish: (exit) => ({
            ...inner.finish(exit),
            failure: { kind: "fatal", message: "unknown model gpt-x" },
          }),
        };
      },
    };
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), backend });
    expect(result).toMatchObject({ reason: "agent_failed", detail: "unknown model gpt-x" });
    expect(await readRunRecord(paths, 1)).toMatchObject({
      outcome: "failed",
      attempts: 1,
      error: "unknown model gpt-x",
    });
    expect(await readState(paths)).toMatchObject({ status: "error", reason: "unknown model gpt-x" });
  });

  it("refuses to start when a live runner holds the lock, touching nothing", async () => {
    const { repo, paths } = await setup();
    await fsp.writeFile(paths.lock, `${process.pid}\n`);
    const before = await readText(paths.state);
    const err = await runLoop({ root: repo.root, env: agentEnv(repo) }).catch((e: unknown) => e);
    expect(isCarError(err, "LOCK_HELD")).toBe(true);
    expect((err as { details: { pid: number } }).details.pid).toBe(process.pid);
    expect(await readText(paths.state)).toBe(before);
    expect(await readText(paths.log)).toBe("");
    expect(await readText(paths.lock)).toBe(`${process.pid}\n`);
  });

  it("recovers a crashed runner: interrupted end marker, record and state, then the next run id", async () => {
    const { repo, paths } = await setup();
    const crashed: RunnerState = {
      last_run_id: 4,
      status: "running",
      last_exit_code: null,
      last_run_started_at: "2026-01-01T00:00:00Z",
      last_run_finished_at: null,
      runner_pid: 999_999,
    };
    await fsp.writeFile(paths.state, JSON.stringify(crashed));
    await fsp.writeFile(paths.log, "=== run 4 start ===\n[2026-01-01T00:00:01Z] run=4 stdout: half way\n");
    await fsp.writeFile(paths.lock, "999999\n");
    await writeRunRecord(
      paths,
      newRunRecord({ id: 4, todoBefore: { outstanding: 3, done: 0 }, backend: "plain" }),
    );

    const result = await runLoop({ root: repo.root, env: agentEnv(repo), once: true });
    expect(result).toMatchObject({ reason: "run_limit", runs: 1, lastRunId: 5 });
    const log = await readText(paths.log);
    expect(log.indexOf("=== run 4 end (interrupted) ===")).toBeGreaterThan(0);
    expect(log.indexOf("=== run 4 end (interrupted) ===")).toBeLessThan(log.indexOf("=== run 5 start ==="));
    expect(await readRunRecord(paths, 4)).toMatchObject({ outcome: "interrupted" });
    expect(await readState(paths)).toMatchObject({ status: "idle", last_run_id: 5, runner_pid: null });
    // Run 5's prompt carries run 4's partial output.
    expect(await readText(join(repo.side, "prompt-1.txt"))).toContain("half way");
  });

  it("a stop request during a run ends the loop after that run; a stale one from a dead runner is ignored", async () => {
    const { repo, paths } = await setup();
    // Left behind by a runner that died before it saw it: older than our lock.
    await fsp.writeFile(paths.stop, "");
    const past = new Date(Date.now() - 60_000);
    await fsp.utimes(paths.stop, past, past);
    let wrote = false;
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      onEvent: (e) => {
        if (e.type === "log" && e.runId === 1 && !wrote) {
          wrote = true;
          writeFileSync(paths.stop, "");
        }
      },
    });
    expect(result).toMatchObject({ reason: "stop_requested", runs: 1, lastRunId: 1 });
    expect(existsSync(paths.stop)).toBe(false);
    expect(await readText(paths.log)).not.toContain("=== run 2 start ===");
  });

  it("fails with DOC_MISSING when the TODO file is missing, leaving no lock and no running state", async () => {
    const { repo, paths } = await setup();
    await fsp.rm(paths.todo);
    const err = await runLoop({ root: repo.root, env: agentEnv(repo) }).catch((e: unknown) => e);
    expect(isCarError(err, "DOC_MISSING")).toBe(true);
    expect(existsSync(paths.lock)).toBe(false);
    const state = await readState(paths);
    expect(state.status).not.toBe("running");
    expect(state.runner_pid).toBeNull();
  });

  it("a TODO deleted by the agent mid-run is DOC_MISSING after the run is closed properly", async () => {
    const { repo, paths } = await setup();
    const err = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "rm-todo" }) }).catch(
      (e: unknown) => e,
    );
    expect(isCarError(err, "DOC_MISSING")).toBe(true);
    expect(await readText(paths.log)).toContain("=== run 1 end (code 0) ===");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "completed", todo_after: null });
    expect(await readState(paths)).toMatchObject({ status: "error", runner_pid: null });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("the .codex-autorunner folder deleted mid-run: clear IO_ERROR, state and record recreated", async () => {
    const { repo, paths } = await setup();
    const err = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "rm-dir" }) }).catch(
      (e: unknown) => e,
    );
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    expect((err as Error).message).toContain("was removed during run 1");
    expect(await readState(paths)).toMatchObject({ status: "error", runner_pid: null, last_run_id: 1 });
    expect(await readRunRecord(paths, 1)).toMatchObject({ id: 1, outcome: "completed" });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("commits each successful run when git.auto_commit is on", async () => {
    const { repo, paths } = await setup({ todo: "- [ ] one\n", extraYaml: "git:\n  auto_commit: true" });
    const result = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(result.reason).toBe("todo_done");
    const rec = (await readRunRecord(paths, 1)) as RunRecord;
    expect(rec.commit?.ok).toBe(true);
    expect(rec.commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    const { execFileSync } = await import("node:child_process");
    const subject = execFileSync("git", ["log", "-1", "--format=%s"], {
      cwd: repo.root,
      encoding: "utf8",
    }).trim();
    expect(subject).toBe("[codex] run #1");
    const status = execFileSync("git", ["status", "--porcelain"], { cwd: repo.root, encoding: "utf8" });
    expect(status).toBe("");
  });

  it("reports a missing agent binary as AGENT_NOT_FOUND and closes the run (exit 127)", async () => {
    const { repo, paths } = await setup({ extraYaml: "" });
    const cfg = await readText(paths.config);
    await fsp.writeFile(paths.config, cfg.replace(/binary: .*/, 'binary: "no-such-agent-binary-xyz"'));
    const err = await runLoop({ root: repo.root, env: agentEnv(repo) }).catch((e: unknown) => e);
    expect(isCarError(err, "AGENT_NOT_FOUND")).toBe(true);
    expect(await readText(paths.log)).toContain("=== run 1 end (code 127) ===");
    expect(await readState(paths)).toMatchObject({ status: "error", runner_pid: null });
    expect(existsSync(paths.lock)).toBe(false);
  });
});
