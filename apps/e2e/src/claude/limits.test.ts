/**
 * How `car run` reads the real Claude Code CLI's API failures: a 429 naming its reset is a usage-limit
 * wait (shown by `car status`) until that reset, a 529 is retried as the same run, a 401 stops the loop.
 * claude's own retries are off (CLAUDE_CODE_MAX_RETRIES=0), so each fault reaches car.
 */
import {
  anthropicOverloaded,
  anthropicRateLimited,
  anthropicUnauthorized,
  faultsThen,
  type ModelServerOptions,
  runCar,
  spawnCar,
  startModelServer,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { readLog, readState, trackForCleanup } from "../codex/setup.js";
import { attempts, diag } from "../overnight/support.js";
import {
  asClaudeTokenUsage,
  claudeTickingModel,
  makeClaudeRepo,
  readAgentRecords,
  waitForStatus,
} from "./setup.js";

const tracked = trackForCleanup();

async function setUp(script: ModelServerOptions["script"], runner: Record<string, unknown> = {}) {
  const srv = await startModelServer({ script });
  tracked.server = srv;
  const r = makeClaudeRepo(srv, { todo: ["only task"], runner });
  tracked.repo = r;
  return { srv, r };
}

describe("claude's API failures under car run", () => {
  it("429 with a reset 3 s ahead: status shows the wait until the reset, then the same run completes", async () => {
    let resetAt = 0;
    const limited = (req: { at: number }) => {
      resetAt = req.at + 3_000;
      return anthropicRateLimited(new Date(resetAt));
    };
    // A backoff of 60 s: a wait that ends near the reset can only come from the 429's own reset time.
    const { srv, r } = await setUp(faultsThen(1, limited, claudeTickingModel), {
      max_retries: 0,
      limit_wait_seconds: 60,
    });
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    tracked.car = car;
    const during = await waitForStatus(r, (s) => s.status === "waiting", "car status: waiting");
    expect(during.running).toBe(true);
    expect(during.waiting).toMatchObject({ reason: "rate_limit" });
    expect(during.waiting?.message).toMatch(/429.*usage limit reached; resets at /);
    const until = Date.parse(during.waiting?.until ?? "");
    // state.json keeps whole seconds, rounded up: never before the reset, at most a second after.
    expect(until).toBeGreaterThanOrEqual(resetAt);
    expect(until).toBeLessThan(resetAt + 1_500);
    expect(during.last_run).toMatchObject({ id: 1, agent: "claude", attempts: 1 });

    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);
    const [first, retry] = attempts(srv.requests);
    expect(srv.steps[0]?.type).toBe("http_error");
    expect(retry?.at).toBeGreaterThanOrEqual(resetAt);
    expect(retry?.threadId).not.toBe(first?.threadId);
    const [rec] = readAgentRecords(r);
    expect(rec).toMatchObject({
      id: 1,
      agent: "claude",
      outcome: "completed",
      attempts: 2,
      final_message: "Ticked: only task",
    });
    expect(rec?.limit_wait_ms).toBeGreaterThanOrEqual(2_000);
    // The 429 served nothing; the record holds the completed attempt's usage.
    expect(rec?.usage).toEqual(asClaudeTokenUsage(srv.servedUsage()));
    expect(readLog(r)).toMatch(
      /run=1 stderr: \[car\] usage limit: waiting until \S+ \(\d+s, its reset time\): .*usage limit reached/,
    );
    const after = readState(r);
    expect(after.waiting ?? null).toBeNull();
    expect(after.status).toBe("idle");
  });

  it("529 overloaded: retried as the same run, which then completes", async () => {
    const { srv, r } = await setUp(faultsThen(1, anthropicOverloaded(), claudeTickingModel));
    const done = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    expect(done.code, diag(r, done)).toBe(0);
    const records = readAgentRecords(r);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      outcome: "completed",
      agent: "claude",
      attempts: 2,
      final_message: "Ticked: only task",
    });
    expect(srv.steps.map((s) => s.type)).toEqual(["http_error", "reply", "reply"]);
    expect(records[0]?.usage).toEqual(asClaudeTokenUsage(srv.servedUsage()));
    expect(readLog(r)).toMatch(/run=1 stderr: \[car\] retrying \(retry 1\/2\) in \d+s: .*529 Overloaded/);
    expect(readLog(r).match(/=== run \d+ start ===/g)).toEqual(["=== run 1 start ==="]);
  });

  it("401 unauthorized: the loop stops at once, no retry, the error names the auth failure", async () => {
    const { srv, r } = await setUp([anthropicUnauthorized()]);
    const done = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    expect(done.code, diag(r, done)).not.toBe(0);
    expect(`${done.stdout}\n${done.stderr}`).toMatch(/Invalid API key/);
    const records = readAgentRecords(r);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "failed", agent: "claude", attempts: 1 });
    expect(records[0]?.error).toMatch(/Invalid API key/);
    expect(srv.requests).toHaveLength(1);
    const state = readState(r);
    expect(state.status).toBe("error");
    expect(String(state.reason)).toMatch(/Invalid API key/);
    expect(readLog(r)).toMatch(/run=1 stdout: \[claude\] error \(401\): .*Invalid API key/);
  });
});
