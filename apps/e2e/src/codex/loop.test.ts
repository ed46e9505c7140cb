/**
 * `car run` with the real Codex CLI against the scripted model: the loop, token accounting,
 * retries of transient faults, the idle watchdog, the no-progress breaker and a large prompt.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  dropStream,
  hang,
  httpError,
  type ModelRequest,
  type ModelServer,
  type ModelStep,
  responseFailed,
  runCar,
  say,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import {
  asTokenUsage,
  makeCodexRepo,
  readLog,
  readRunRecords,
  readState,
  servedForThread,
  sumServed,
  tickingModel,
  trackForCleanup,
  usageFor,
} from "./setup.js";

const tracked = trackForCleanup();

function served(srv: ModelServer) {
  return sumServed(
    srv.requests.filter((_, i) => srv.steps[i]?.type === "reply").map((r) => usageFor(r.index)),
  );
}

describe("car run with the real codex", () => {
  it("finishes a 3-item TODO in 3 runs through codex's own shell calls, usage summed exactly", async () => {
    const srv = await startModelServer({ script: tickingModel });
    tracked.server = srv;
    const repo = makeCodexRepo(srv);
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);

    const todo = readFileSync(join(repo.dir, "TODO.md"), "utf8");
    expect(todo).toContain("- [x] first task");
    expect(todo).toContain("- [x] second task");
    expect(todo).toContain("- [x] third task");
    expect(todo).not.toContain("- [ ]");

    const records = readRunRecords(repo);
    expect(records.map((x) => x.id)).toEqual([1, 2, 3]);
    const items = ["first task", "second task", "third task"];
    records.forEach((rec, i) => {
      expect(rec.outcome).toBe("completed");
      expect(rec.backend).toBe("codex-json");
      expect(rec.attempts).toBe(1);
      expect(rec.thread_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(rec.final_message).toBe(`Ticked: ${items[i]}`);
      expect(rec.commands).toHaveLength(1);
      expect(rec.commands[0]?.exit_code).toBe(0);
      expect(rec.commands[0]?.command).toContain(`- [ ] ${items[i]}`);
      // Exactly what the server served to this run's codex thread.
      expect(rec.usage).toEqual(asTokenUsage(servedForThread(srv, rec.thread_id)));
    });
    // The previous run's final agent message is the next prompt's {{PREV_RUN_OUTPUT}}.
    const fresh = srv.requests.filter((q) => !q.isFollowUp);
    expect(fresh[1]?.prompt).toContain("Ticked: first task");
    expect(fresh[2]?.prompt).toContain("Ticked: second task");
    expect(fresh[0]?.prompt).not.toContain("Ticked:");
    // Every run asked for a different item: the prompt carried the current TODO.
    expect(srv.requests.filter((q) => !q.isFollowUp).map((q) => /- \[ \] (.+)/.exec(q.prompt)?.[1])).toEqual(
      items,
    );

    const total = asTokenUsage(served(srv));
    const status = await runCar(["status", "--json"], { cwd: repo.root, env: repo.env });
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      tokens: { total: unknown; last_run: unknown };
      status: string;
    };
    expect(report.tokens.total).toEqual(total);
    expect(report.tokens.last_run).toEqual(records[2]?.usage);
    expect(report.status).toBe("idle");

    const log = readLog(repo);
    expect(log).toMatch(/run=1 stdout: agent: Ticked: first task/);
    expect(log).toMatch(/run=3 stdout: \$ .*- \[ \] third task.* \(exit 0\)/);
    expect(log).toContain("=== run 3 end (code 0) ===");
    const raw = readFileSync(join(repo.dir, "runs", "2.jsonl"), "utf8");
    expect(raw).toContain('"type":"thread.started"');
    expect(raw).toContain('"type":"turn.completed"');
  });

  it("retries a 5xx as the same run and then succeeds", async () => {
    let failedOnce = false;
    const srv = await startModelServer({
      script: (req: ModelRequest): ModelStep => {
        if (!failedOnce) {
          failedOnce = true;
          return httpError(500, "upstream exploded");
        }
        return tickingModel(req);
      },
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { todo: ["only task"] });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);

    const records = readRunRecords(repo);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: 1,
      outcome: "completed",
      attempts: 2,
      final_message: "Ticked: only task",
    });
    expect(srv.steps[0]?.type).toBe("http_error");
    const log = readLog(repo);
    expect(log).toMatch(/run=1 stderr: \[car\] retrying \(retry 1\/2\).*high demand/);
    expect(log.match(/=== run \d+ start ===/g)).toEqual(["=== run 1 start ==="]);
    // Only completed responses count; the 500 served nothing.
    expect(records[0]?.usage?.total_tokens).toBe(asTokenUsage(served(srv)).total_tokens);
  });

  it("retries a dropped stream (codex's own reconnects off) as the same run", async () => {
    let dropped = false;
    const srv = await startModelServer({
      script: (req: ModelRequest): ModelStep => {
        if (!dropped) {
          dropped = true;
          return dropStream("half an ans");
        }
        return tickingModel(req);
      },
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { todo: ["only task"] });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);
    expect(readRunRecords(repo)[0]).toMatchObject({ id: 1, outcome: "completed", attempts: 2 });
    expect(readLog(repo)).toMatch(/\[car\] retrying \(retry 1\/2\).*stream disconnected/);
    const raw = readFileSync(join(repo.dir, "runs", "1.jsonl"), "utf8");
    // Both attempts' raw events are kept: the failed turn and the completed one.
    expect(raw).toContain('"type":"turn.failed"');
    expect(raw).toContain('"type":"turn.completed"');
  });

  it("kills a hanging model with the idle watchdog and retries", async () => {
    let hung = false;
    const srv = await startModelServer({
      script: (req: ModelRequest): ModelStep => {
        if (!hung) {
          hung = true;
          return hang();
        }
        return tickingModel(req);
      },
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { todo: ["only task"], runner: { idle_timeout_seconds: 5 } });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);

    const records = readRunRecords(repo);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "completed", attempts: 2 });
    expect(readLog(repo)).toMatch(/\[car\] retrying \(retry 1\/2\).*stall/i);
    expect(readFileSync(join(repo.dir, "TODO.md"), "utf8")).toContain("- [x] only task");
    // The killed codex's connection is gone: nothing waits on the server any more.
    expect(srv.pending()).toBe(0);
  });

  it("stops with 'no progress' after 3 runs when the model never ticks anything", async () => {
    const srv = await startModelServer({
      script: (req) => say("I looked around; all good.", usageFor(req.index)),
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { runner: { no_progress_runs: 3 } });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/no progress/i);

    const records = readRunRecords(repo);
    expect(records.map((x) => x.outcome)).toEqual(["completed", "completed", "completed"]);
    expect(srv.requests).toHaveLength(3);
    const state = readState(repo);
    expect(state.status).toBe("error");
    expect(String(state.reason)).toMatch(/no progress/i);
    expect(readFileSync(join(repo.dir, "TODO.md"), "utf8")).not.toContain("- [x]");
  });

  it("sends a 300 KB prompt (large PROGRESS.md) through to the model", async () => {
    const srv = await startModelServer({ script: tickingModel });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { todo: ["only task"] });
    tracked.repo = repo;
    const line = "- 2026-01-01: refactored the widget frobnicator and wrote more tests\n";
    const progress = `# Progress\n\n${line.repeat(Math.ceil(300_000 / line.length))}END-OF-PROGRESS-91c2\n`;
    expect(progress.length).toBeGreaterThan(300_000);
    writeFileSync(join(repo.dir, "PROGRESS.md"), progress);

    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);
    const first = srv.requests[0];
    expect(first?.prompt.length).toBeGreaterThan(300_000);
    expect(first?.prompt).toContain("END-OF-PROGRESS-91c2");
    expect(readRunRecords(repo)[0]).toMatchObject({
      outcome: "completed",
      final_message: "Ticked: only task",
    });
  });

  it("stops cleanly when the token budget is used up, counting what codex reported", async () => {
    const srv = await startModelServer({ script: tickingModel });
    tracked.server = srv;
    // Each run is two requests of ~1,050 tokens each: the budget is crossed during run 2.
    const repo = makeCodexRepo(srv, { runner: { max_total_tokens: 2500 } });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/token budget/i);
    const records = readRunRecords(repo);
    expect(records.map((x) => x.outcome)).toEqual(["completed", "completed"]);
    const used = records.reduce((n, x) => n + (x.usage?.total_tokens ?? 0), 0);
    expect(used).toBe(asTokenUsage(served(srv)).total_tokens);
    expect(records[0]?.usage?.total_tokens ?? 0).toBeLessThan(2500);
    expect(used).toBeGreaterThanOrEqual(2500);
    expect(readFileSync(join(repo.dir, "TODO.md"), "utf8")).toContain("- [ ] third task");
  });

  it("waits out a rate limit for the time the message gives, shown in state, then succeeds", async () => {
    let limited = false;
    const srv = await startModelServer({
      script: (req: ModelRequest): ModelStep => {
        if (!limited) {
          limited = true;
          return responseFailed(
            "rate_limit_exceeded",
            "Rate limit reached for requests. Please try again in 3s.",
          );
        }
        return tickingModel(req);
      },
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv, { todo: ["only task"] });
    tracked.repo = r;
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    const waiting = await waitFor(() => readState(r).waiting as { until: string; message: string } | null, {
      timeoutMs: 60_000,
      what: "state.waiting during the rate-limit wait",
    });
    expect(waiting.message).toMatch(/rate limit/i);
    const done = await car.exited;
    expect(done.code, `${done.stdout}\n${done.stderr}\n${readLog(r)}`).toBe(0);
    expect(readRunRecords(r)[0]).toMatchObject({ outcome: "completed", attempts: 2 });
    expect(readLog(r)).toMatch(
      /\[car\] usage limit: waiting until \S+ \(3s, its reset time\): .*try again in 3s/,
    );
    expect(readState(r).waiting ?? null).toBeNull();
  });

  it("stops at once on a fatal failure (bad credentials) with the message", async () => {
    const srv = await startModelServer({
      script: [httpError(401, "Incorrect API key provided", "invalid_request_error")],
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv);
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code).not.toBe(0);
    const records = readRunRecords(repo);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(records[0]?.error).toMatch(/401 Unauthorized: Incorrect API key/);
    expect(srv.requests).toHaveLength(1);
    expect(readState(repo).status).toBe("error");
  });
});
