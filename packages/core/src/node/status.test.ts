import { promises as fsp } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RunnerState } from "../types.js";
import { runLoop } from "./engine/loop.js";
import { agentEnv, makeTestRepo, type TestRepo } from "./engine/test-fixtures.js";
import { carPaths } from "./paths.js";
import { writeState } from "./state-store.js";
import { getStatus } from "./status.js";

let repo: TestRepo | null = null;
afterEach(async () => {
  await repo?.cleanup();
  repo = null;
});

describe("getStatus", () => {
  it("reports the last run, TODO counts and token totals after a loop", async () => {
    repo = await makeTestRepo({
      todo: "- [ ] one\n- [ ] two\n- [x] done already\n",
      runner: "  stop_after_runs: 1",
    });
    await runLoop({ root: repo.root, env: agentEnv(repo) });
    const s = await getStatus(repo.root);
    expect(s).toMatchObject({
      status: "idle",
      running: false,
      stale: false,
      runner_pid: null,
      stop_requested: false,
    });
    expect(s.todo).toMatchObject({ outstanding: 1, done: 2 });
    expect(s.todo?.items.map((i) => i.text)).toEqual(["one", "two", "done already"]);
    expect(s.last_run).toMatchObject({ id: 1, outcome: "completed" });
    expect(s.tokens).toEqual({ last_run: null, total: null });
    expect(s.lock).toEqual({ info: null, alive: false });
  });

  it("never shows a dead runner as running (stale), and shows a live lock holder as running", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    const crashed: RunnerState = {
      last_run_id: 3,
      status: "running",
      last_exit_code: null,
      last_run_started_at: "2026-01-01T00:00:00Z",
      last_run_finished_at: null,
      runner_pid: 999_999,
    };
    await writeState(paths, crashed);
    await fsp.writeFile(paths.lock, "999999\n");
    const dead = await getStatus(repo.root);
    expect(dead).toMatchObject({ status: "error", running: false, stale: true, runner_pid: null });
    expect(dead.lock.alive).toBe(false);

    await fsp.writeFile(paths.lock, `${process.pid}\n`);
    await fsp.writeFile(paths.stop, "");
    const live = await getStatus(repo.root);
    expect(live).toMatchObject({
      status: "running",
      running: true,
      runner_pid: process.pid,
      stop_requested: true,
    });
  });

  it("reports a missing TODO as todo_error instead of failing", async () => {
    repo = await makeTestRepo();
    await fsp.rm(carPaths(repo.root).todo);
    const s = await getStatus(repo.root);
    expect(s.todo).toBeNull();
    expect(s.todo_error).toContain("TODO.md does not exist");
  });
});
