/**
 * Surviving usage limits with the real codex: a 429 is a wait, never a retry (max_retries: 0 still
 * completes), the wait shows in state.json, honours a reset time, has a budget, survives a killed
 * runner (`car resume` waits out the rest) and ends at once on `car stop`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  faultsThen,
  rateLimited,
  rateLimitedFor,
  runCar,
  spawnCar,
  startModelServer,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { makeCodexRepo, readLog, readRunRecords, tickingModel, trackForCleanup } from "../codex/setup.js";
import { readRecord } from "../verify/support.js";
import { attempts, diag, stateOf, waitForState } from "./support.js";

const PLAIN_429 = "exceeded retry limit, last status: 429 Too Many Requests";

const tracked = trackForCleanup();

async function setUp(
  script: Parameters<typeof startModelServer>[0]["script"],
  runner: Record<string, unknown>,
) {
  const srv = await startModelServer({ script });
  tracked.server = srv;
  const r = makeCodexRepo(srv, { todo: ["only task"], runner: { max_retries: 0, ...runner } });
  tracked.repo = r;
  return { srv, r };
}

describe("usage limits with the real codex", () => {
  it("three 429s without a reset time: waits with a doubling backoff, then the same run completes", async () => {
    const { srv, r } = await setUp(faultsThen(3, rateLimited(), tickingModel), { limit_wait_seconds: 1 });
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    const during = await waitForState(
      r,
      (s) => s.status === "waiting",
      "status waiting during the limit wait",
    );
    expect(during.waiting).toMatchObject({ reason: "rate_limit", message: PLAIN_429 });
    expect(Date.parse(during.waiting!.until)).toBeGreaterThan(Date.parse(during.waiting!.since));
    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);

    const records = readRunRecords(r);
    expect(records.map((x) => [x.id, x.outcome, x.attempts])).toEqual([[1, "completed", 4]]);
    // 1 s, 2 s, 4 s: arrival gaps between the attempts show each wait really happened.
    const at = attempts(srv.requests).map((q) => q.at);
    expect(at).toHaveLength(4);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(2000);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(4000);
    expect(readRecord(r, 1).limit_wait_ms).toBeGreaterThanOrEqual(6900);
    const waits = readLog(r).match(/\[car\] usage limit: waiting until \S+ \(\d+s, backoff\)/g) ?? [];
    expect(waits).toHaveLength(3);
    const after = stateOf(r);
    expect(after.waiting ?? null).toBeNull();
    expect(after.status).toBe("idle");
  });

  it("a 429 that names its reset: the next request comes no earlier than the reset", async () => {
    const { srv, r } = await setUp(faultsThen(1, rateLimitedFor(3), tickingModel), { limit_wait_seconds: 1 });
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    const during = await waitForState(r, (s) => s.status === "waiting", "status waiting");
    const until = Date.parse(during.waiting!.until);
    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);
    const [limited, next] = attempts(srv.requests);
    // The reset is 3 s after codex got the 429 (state shows it rounded up to the second).
    expect(until - limited!.at).toBeGreaterThanOrEqual(3000);
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(3000);
    expect(readLog(r)).toMatch(/\[car\] usage limit: waiting until \S+ \(3s, its reset time\)/);
    expect(readRunRecords(r)[0]).toMatchObject({ outcome: "completed", attempts: 2 });
  });

  it("endless 429s past runner.max_limit_wait_seconds: stops with limit_wait_exhausted, exit 1", async () => {
    const { srv, r } = await setUp(() => rateLimited(), { limit_wait_seconds: 1, max_limit_wait_seconds: 2 });
    const done = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 60_000 });
    expect(done.code, diag(r, done)).toBe(1);
    expect(done.stderr).toContain("usage-limit waits used up runner.max_limit_wait_seconds");
    const rec = readRecord(r, 1);
    // Waited the budget, no more: 1 s, then the 1 s left of it.
    expect(rec.limit_wait_ms).toBeGreaterThanOrEqual(1900);
    expect(rec.limit_wait_ms).toBeLessThan(4000);
    expect(attempts(srv.requests).length).toBeGreaterThanOrEqual(3);
    expect(readLog(r)).toMatch(
      /\[car\] usage limit still there after \d+s of waiting \(runner\.max_limit_wait_seconds: 2\)/,
    );
  });

  it.each([
    ["car kill", "kill"],
    ["SIGKILL of the runner", "sigkill"],
  ])("%s during a wait: state keeps it, car resume waits out the rest, then completes", async (_name, how) => {
    const { srv, r } = await setUp(faultsThen(1, rateLimitedFor(7), tickingModel), { limit_wait_seconds: 1 });
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    const during = await waitForState(r, (s) => s.status === "waiting", "status waiting");
    const until = Date.parse(during.waiting!.until);
    if (how === "kill") {
      const k = await runCar(["kill", "--grace", "1"], { cwd: r.root, env: r.env });
      expect(k.code, k.stderr).toBe(0);
    } else {
      process.kill(during.runner_pid!, "SIGKILL");
    }
    await car.exited;
    const dead = stateOf(r);
    expect(dead.waiting).toMatchObject({ reason: "rate_limit", until: during.waiting!.until });
    expect(attempts(srv.requests)).toHaveLength(1);

    const resumed = spawnCar(["resume", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    const again = await waitForState(
      r,
      (s) => s.status === "waiting" && s.runner_pid === resumed.pid,
      "status waiting again under car resume",
    );
    expect(Date.parse(again.waiting!.until)).toBeGreaterThanOrEqual(until);
    const done = await resumed.exited;
    expect(done.code, diag(r, done)).toBe(0);
    const later = attempts(srv.requests).slice(1);
    expect(later.length).toBeGreaterThanOrEqual(1);
    expect(later[0]!.at).toBeGreaterThanOrEqual(until);
    expect(readRunRecords(r).at(-1)?.outcome).toBe("completed");
  });

  it("car stop during a wait ends the loop within seconds, with no further request", async () => {
    const { srv, r } = await setUp(faultsThen(1, rateLimitedFor(60), tickingModel), {
      limit_wait_seconds: 1,
    });
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    await waitForState(r, (s) => s.status === "waiting", "status waiting");
    const asked = Date.now();
    const stop = await runCar(["stop"], { cwd: r.root, env: r.env });
    expect(stop.code, stop.stderr).toBe(0);
    const done = await Promise.race([car.exited, sleep(5_000).then(() => null)]);
    expect(done, "car run still running 5 s after car stop").not.toBeNull();
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect(done?.code, diag(r, done ?? undefined)).toBe(0);
    expect(attempts(srv.requests)).toHaveLength(1);
  });
});
