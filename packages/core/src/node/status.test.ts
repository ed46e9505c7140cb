import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RunnerState } from "../types.js";
import { runLoop } from "./engine/loop.js";
import { agentEnv, makeTestRepo, type TestRepo } from "./engine/test-fixtures.js";
import { carPaths } from "./paths.js";
import { writeState } from "./state-store.js";
import { getStatus, loadConfigLenient } from "./status.js";

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
    expect(s).toMatchObject({ outstanding_count: 1, done_count: 2, last_run_id: 1, last_exit_code: 0 });
    expect(s.todo_items).toEqual([
      { text: "one", done: true, line: 1 },
      { text: "two", done: false, line: 2 },
      { text: "done already", done: true, line: 3 },
    ]);
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
    expect(s).toMatchObject({ outstanding_count: null, done_count: null, todo_items: [] });
    expect(s.todo_error).toContain("TODO.md does not exist");
  });

  it("with tolerateConfigError, a broken config.yml is reported next to the state instead of hiding it", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    const state: RunnerState = {
      last_run_id: 7,
      status: "error",
      last_exit_code: 2,
      last_run_started_at: "2026-01-01T00:00:00Z",
      last_run_finished_at: "2026-01-01T00:01:00Z",
      runner_pid: null,
      reason: "agent exited with code 2",
    };
    await writeState(paths, state);
    await fsp.appendFile(paths.config, "runner:\n  sleep_seconds: [oops\n");

    await expect(getStatus(repo.root)).rejects.toMatchObject({ code: "CONFIG_YAML" });
    const s = await getStatus(repo.root, { tolerateConfigError: true });
    expect(s.config_error).toMatch(/^\.codex-autorunner\/config\.yml: malformed YAML at line \d+/);
    expect(s).toMatchObject({ last_run_id: 7, last_exit_code: 2, status: "error" });
    expect(s).toMatchObject({ reason: "agent exited with code 2", outstanding_count: null, todo_items: [] });
    expect(s.todo_error).toContain("config.yml");

    const lenient = await loadConfigLenient(repo.root);
    expect(lenient.config).toBeNull();
    expect(lenient.error?.code).toBe("CONFIG_YAML");
  });

  it("a FIFO as config.yml is a config error, not a hang", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    await fsp.rm(paths.config);
    execFileSync("mkfifo", [paths.config]);
    const s = await getStatus(repo.root, { tolerateConfigError: true });
    expect(s.config_error).toBe(
      ".codex-autorunner/config.yml: expected a regular file of at most 1 MiB, found a FIFO (named pipe)",
    );
  });

  it("a missing config.yml still fails (not initialised), tolerant or not; a good one has config_error null", async () => {
    repo = await makeTestRepo();
    expect((await getStatus(repo.root, { tolerateConfigError: true })).config_error).toBeNull();
    await fsp.rm(carPaths(repo.root).config);
    await expect(getStatus(repo.root, { tolerateConfigError: true })).rejects.toMatchObject({
      code: "CONFIG_NOT_FOUND",
    });
  });
});
