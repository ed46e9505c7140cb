import { existsSync, promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { runLoop } from "./loop.js";
import { agentEnv, rateLimitedBackend, readText, useTestRepos, waitFor } from "./test-fixtures.js";

// Usage limits are waits: persisted, honoured after a crash, ended by `car stop`, bounded by a budget.

const makeRepo = useTestRepos();
const setup = (runner: string) => makeRepo({ runner });

describe("usage-limit waits", () => {
  it("stops with limit_wait_exhausted once the budget is used up; retries are never spent", async () => {
    const { repo, paths } = await setup(
      "  max_retries: 0\n  limit_wait_seconds: 0.2\n  max_limit_wait_seconds: 0.5",
    );
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), backend: rateLimitedBackend(100) });
    expect(result.reason).toBe("limit_wait_exhausted");
    expect(result.detail).toContain("runner.max_limit_wait_seconds");
    // 0.2 s, then 0.3 s (what is left of the budget), then the budget is gone: 3 attempts.
    const record = await readRunRecord(paths, 1);
    expect(record).toMatchObject({ outcome: "failed", attempts: 3 });
    expect(record?.limit_wait_ms).toBeGreaterThanOrEqual(450);
    expect(await readState(paths)).toMatchObject({ status: "error", waiting: null });
  });

  it("a stop request ends a long wait at once; the wait stays for `car resume`", async () => {
    const { repo, paths } = await setup("  max_retries: 0");
    const running = runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: rateLimitedBackend(1, 3_600_000),
    });
    await waitFor(async () => (await readState(paths)).status === "waiting", "status waiting");
    const state = await readState(paths);
    expect(state.waiting?.reason).toBe("rate_limit");
    expect(Date.parse(state.waiting?.until ?? "") - Date.now()).toBeGreaterThan(3_500_000);
    await fsp.writeFile(paths.stop, "");
    const result = await running;
    expect(result).toMatchObject({ reason: "stop_requested", runs: 1 });
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "interrupted" });
    const after = await readState(paths);
    expect(after).toMatchObject({ status: "idle", runner_pid: null });
    expect(after.waiting?.until).toBe(state.waiting?.until);
    expect(existsSync(paths.stop)).toBe(false);
  });

  it("a resumed loop sits out what is left of a killed runner's wait before calling the agent", async () => {
    const { repo, paths } = await setup("  max_retries: 0\n  stop_after_runs: 1");
    const ac = new AbortController();
    const running = runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: rateLimitedBackend(1, 1_500),
      signal: ac.signal,
    });
    await waitFor(async () => (await readState(paths)).status === "waiting", "status waiting");
    const until = Date.parse((await readState(paths)).waiting?.until ?? "");
    ac.abort("SIGTERM");
    expect(await running).toMatchObject({ reason: "aborted", detail: "killed by SIGTERM" });
    expect((await readState(paths)).waiting?.reason).toBe("rate_limit");

    const statuses: string[] = [];
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      onEvent: (e) => {
        if (e.type === "state") statuses.push(e.state.status);
      },
    });
    expect(result).toMatchObject({ reason: "run_limit", runs: 1, lastRunId: 2 });
    expect(statuses[1]).toBe("waiting");
    // The agent was called no earlier than the recorded end of the wait (whole seconds, rounded up).
    const started = Date.parse((await readRunRecord(paths, 2))?.started_at ?? "");
    expect(started).toBeGreaterThanOrEqual(until - 1000);
    expect(await readText(paths.log)).toMatch(/usage-limit wait of the previous runner: \ds left/);
    expect((await readState(paths)).waiting ?? null).toBeNull();
    // Two agent calls in all: the limited attempt of run 1, then run 2.
    expect(existsSync(join(repo.side, "prompt-2.txt"))).toBe(true);
    expect(existsSync(join(repo.side, "prompt-3.txt"))).toBe(false);
  });
});
