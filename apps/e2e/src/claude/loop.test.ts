/**
 * `car run` with the real Claude Code CLI (runner.agent: claude) against the scripted model: the loop
 * ticks a 3-item TODO through claude's own Bash tool; usage and cost reach the records and state.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCar, startModelServer } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { readLog, readState, trackForCleanup } from "../codex/setup.js";
import {
  asClaudeTokenUsage,
  claudeTickingModel,
  makeClaudeRepo,
  readAgentRecords,
  servedForSession,
} from "./setup.js";

const tracked = trackForCleanup();

describe("car run with the real claude", () => {
  it("finishes a 3-item TODO in 3 runs through claude's Bash, usage and cost exactly as served", async () => {
    const srv = await startModelServer({ script: claudeTickingModel });
    tracked.server = srv;
    const repo = makeClaudeRepo(srv);
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], { cwd: repo.root, env: repo.env, timeoutMs: 100_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}\n${readLog(repo)}`).toBe(0);

    const todo = readFileSync(join(repo.dir, "TODO.md"), "utf8");
    expect(todo).not.toContain("- [ ]");
    const items = ["first task", "second task", "third task"];
    for (const item of items) expect(todo).toContain(`- [x] ${item}`);

    const records = readAgentRecords(repo);
    expect(records.map((x) => x.id)).toEqual([1, 2, 3]);
    records.forEach((rec, i) => {
      expect(rec).toMatchObject({
        outcome: "completed",
        agent: "claude",
        backend: "claude-json",
        fallback_from: null,
        attempts: 1,
        final_message: `Ticked: ${items[i]}`,
        exit_code: 0,
      });
      expect(rec.thread_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(rec.commands).toHaveLength(1);
      expect(rec.commands[0]?.exit_code).toBe(0);
      expect(rec.commands[0]?.command).toContain(`- [ ] ${items[i]}`);
      // Exactly what the server served to this run's claude session (2 requests: Bash, then text).
      expect(srv.requests.filter((q) => q.threadId === rec.thread_id)).toHaveLength(2);
      expect(rec.usage).toEqual(asClaudeTokenUsage(servedForSession(srv, rec.thread_id)));
      expect(rec.cost_usd).toBeGreaterThan(0);
    });
    expect(new Set(records.map((x) => x.thread_id)).size).toBe(3);

    // The previous run's final message is the next prompt's {{PREV_RUN_OUTPUT}}.
    const fresh = srv.requests.filter((q) => !q.isFollowUp);
    expect(fresh.map((q) => q.threadId)).toEqual(records.map((x) => x.thread_id));
    expect(fresh[0]?.prompt).not.toContain("Ticked:");
    expect(fresh[1]?.prompt).toContain("Ticked: first task");
    expect(fresh[2]?.prompt).toContain("Ticked: second task");

    // Totals: the server's whole served usage, and the records' costs summed.
    const total = asClaudeTokenUsage(srv.servedUsage());
    const costSum = records.reduce((n, x) => n + (x.cost_usd ?? 0), 0);
    const state = readState(repo);
    expect(state.tokens_total).toEqual(total);
    expect(state.cost_total_usd as number).toBeCloseTo(costSum, 10);

    const status = await runCar(["status", "--json"], { cwd: repo.root, env: repo.env });
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      status: string;
      last_run: { id: number; agent: string; cost_usd: number } | null;
      tokens: { total: unknown; last_run: unknown };
      cost_usd: { last_run: number | null; total: number | null };
      agents: { primary: string; fallback: string | null; next: string; limits: unknown[] };
    };
    expect(report.status).toBe("idle");
    expect(report.last_run).toMatchObject({ id: 3, agent: "claude", cost_usd: records[2]?.cost_usd });
    expect(report.tokens).toEqual({ total, last_run: records[2]?.usage });
    expect(report.cost_usd.last_run).toBe(records[2]?.cost_usd);
    expect(report.cost_usd.total).toBeCloseTo(costSum, 10);
    expect(report.agents).toEqual({ primary: "claude", fallback: null, next: "claude", limits: [] });

    // Raw stream-json in runs/<id>.jsonl: every line an event, the result among them.
    const raw = readFileSync(join(repo.dir, "runs", "2.jsonl"), "utf8")
      .trim()
      .split("\n");
    const events = raw.map((l) => JSON.parse(l) as { type: string; session_id?: string; result?: string });
    expect(events[0]).toMatchObject({ type: "system", session_id: records[1]?.thread_id });
    expect(events.at(-1)).toMatchObject({ type: "result", result: "Ticked: second task" });
    expect(events.map((e) => e.type)).toContain("assistant");

    // Readable lines: `car log --run 3` shows claude's session, its Bash command and its text.
    const log = await runCar(["log", "--run", "3"], { cwd: repo.root, env: repo.env });
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain(`[claude] session ${records[2]?.thread_id}`);
    expect(log.stdout).toMatch(/run=3 stdout: \$ .*- \[ \] third task/);
    expect(log.stdout).toMatch(/run=3 stdout: Ticked: third task$/m);
    expect(log.stdout).toMatch(/run=3 stdout: \[claude\] done: 2 turns, .*\$\d+\.\d{4}/);
    expect(log.stdout).not.toContain("run=2 ");
  });
});
