import { spawn } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { RUN_MARKER_ENV } from "../proc/marker.js";
import type { RunnerState } from "../types.js";
import { killRunner, requestStop, startDetachedRunner } from "./control.js";
import { runLoop } from "./engine/loop.js";
import { makeTestRepo, readText, type TestRepo, waitFor } from "./engine/test-fixtures.js";
import { carPaths } from "./paths.js";
import { findLifelines } from "./proc/lifeline.js";
import { groupExists, isProcessAlive, processStartTime } from "./proc/procfs.js";
import { readRunRecord } from "./runs-store.js";
import { readState, writeState } from "./state-store.js";
import { getStatus } from "./status.js";

// startDetachedRunner runs the built dist/node/runner-main.js: `pnpm --filter @codex-autorunner/core build` first.
let repo: TestRepo | null = null;
const savedEnv = { SIDE: process.env.SIDE, AGENT_MODE: process.env.AGENT_MODE };
const started: number[] = [];

beforeEach(async () => {
  repo = await makeTestRepo();
  process.env.SIDE = repo.side;
});
afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  process.env.SIDE = savedEnv.SIDE;
  process.env.AGENT_MODE = savedEnv.AGENT_MODE;
  if (savedEnv.SIDE === undefined) delete process.env.SIDE;
  if (savedEnv.AGENT_MODE === undefined) delete process.env.AGENT_MODE;
  await repo?.cleanup();
  repo = null;
});

async function startWith(mode: string): Promise<{ pid: number; paths: ReturnType<typeof carPaths> }> {
  const r = repo as TestRepo;
  process.env.AGENT_MODE = mode;
  const { pid } = await startDetachedRunner(r.root);
  started.push(pid);
  const paths = carPaths(r.root);
  await waitFor(async () => ((await readState(paths)).agent_pid ?? null) !== null, "the agent to start");
  await waitFor(async () => (await readText(paths.log)).includes("stdout: ready"), "the agent's first line");
  return { pid, paths };
}

describe("control", () => {
  it("requestStop with no live runner is NOT_RUNNING and writes no stop file", async () => {
    const paths = carPaths((repo as TestRepo).root);
    const err = await requestStop(paths.root).catch((e: unknown) => e);
    expect(isCarError(err, "NOT_RUNNING")).toBe(true);
    expect(existsSync(paths.stop)).toBe(false);
  });

  it("a detached runner finishes its current run after requestStop, then exits", async () => {
    const { pid, paths } = await startWith("wait-tick");
    expect(isProcessAlive(pid)).toBe(true);
    expect((await requestStop(paths.root)).pid).toBe(pid);
    expect(existsSync(paths.stop)).toBe(true);
    await fsp.writeFile(join((repo as TestRepo).side, "go"), "");
    await waitFor(() => !isProcessAlive(pid), "the runner to exit");
    const log = await readText(paths.log);
    expect(log).toContain("=== run 1 end (code 0) ===");
    expect(log).not.toContain("=== run 2 start ===");
    expect(existsSync(paths.stop)).toBe(false);
    expect(existsSync(paths.lock)).toBe(false);
    expect(await readState(paths)).toMatchObject({ status: "idle", runner_pid: null, last_run_id: 1 });
    expect(await readText(join(paths.dir, "runner.out"))).toContain("stopped (stop_requested)");
  });

  it("killRunner ends the runner and the agent's group; state error 'killed by SIGTERM'", async () => {
    const { pid, paths } = await startWith("hang");
    const agentPid = (await readState(paths)).agent_pid as number;
    const result = await killRunner(paths.root, { graceMs: 10_000 });
    expect(result).toEqual({ pid, agentPid, signal: "SIGTERM" });
    expect(isProcessAlive(pid)).toBe(false);
    expect(groupExists(agentPid)).toBe(false);
    const state = await readState(paths);
    expect(state).toMatchObject({ status: "error", runner_pid: null, reason: "killed by SIGTERM" });
    expect(await readText(paths.log)).toContain("=== run 1 end (code 143) ===");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "killed" });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("killRunner after the runner was SIGKILLed ends the orphaned agent and cleans up for it", async () => {
    const { pid, paths } = await startWith("hang");
    const state = await readState(paths);
    const agentPid = state.agent_pid as number;
    // Its lifeline would end the agent within moments; without it (killed too), killRunner must.
    const watchers = findLifelines(state.agent_marker as string);
    expect(watchers).toHaveLength(1);
    for (const watcher of watchers) process.kill(watcher, "SIGKILL");
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isProcessAlive(pid), "the runner to die");
    expect(groupExists(agentPid)).toBe(true);
    const result = await killRunner(paths.root, { graceMs: 10_000 });
    expect(result).toMatchObject({ pid: null, agentPid, signal: "SIGTERM" });
    expect(groupExists(agentPid)).toBe(false);
    expect(await readState(paths)).toMatchObject({
      status: "error",
      runner_pid: null,
      reason: "killed by SIGTERM",
    });
    expect(await readText(paths.log)).toContain("=== run 1 end (code 143) ===");
    expect(await readRunRecord(paths, 1)).toMatchObject({ outcome: "killed", exit_code: 143 });
    expect(existsSync(paths.lock)).toBe(false);
  });

  it("kill -9 of the runner: status shows the orphaned agent until its lifeline ends it within the grace", async () => {
    const r = repo as TestRepo;
    const configPath = join(r.root, ".codex-autorunner", "config.yml");
    const config = await readText(configPath);
    await fsp.writeFile(configPath, config.replace("kill_grace_seconds: 0.5", "kill_grace_seconds: 3"));
    const { pid, paths } = await startWith("hang-ignore-term");
    const agentPid = (await readState(paths)).agent_pid as number;
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isProcessAlive(pid), "the runner to die");
    // The agent ignores the lifeline's SIGTERM, so it lives out the 3 s grace: status must say so.
    const during = await getStatus(paths.root);
    expect(during).toMatchObject({ running: false, stale: true, orphaned_agent: { pid: agentPid } });
    expect(during.orphaned_agent?.processes).toBeGreaterThanOrEqual(1);
    await waitFor(() => !isProcessAlive(agentPid), "the lifeline to SIGKILL the agent", 15_000);
    expect((await getStatus(paths.root)).orphaned_agent).toBeNull();
  });

  it("killRunner ends a process the run left in another session", async () => {
    const { paths } = await startWith("hang");
    const state = await readState(paths);
    // A job of the run outside the agent's group, like a codex tool call's background job.
    const job = spawn("sleep", ["30"], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, [RUN_MARKER_ENV]: state.agent_marker as string },
    });
    started.push(job.pid as number);
    await killRunner(paths.root, { graceMs: 5_000 });
    expect(isProcessAlive(job.pid as number)).toBe(false);
  });

  it("killRunner with nothing alive is NOT_RUNNING but clears a stale lock and running state", async () => {
    const paths = carPaths((repo as TestRepo).root);
    const stale: RunnerState = {
      last_run_id: 2,
      status: "running",
      last_exit_code: null,
      last_run_started_at: "2026-01-01T00:00:00Z",
      last_run_finished_at: null,
      runner_pid: 999_999,
    };
    await writeState(paths, stale);
    await fsp.writeFile(paths.lock, "999999\n");
    const err = await killRunner(paths.root, { graceMs: 100 }).catch((e: unknown) => e);
    expect(isCarError(err, "NOT_RUNNING")).toBe(true);
    expect(existsSync(paths.lock)).toBe(false);
    const state = await readState(paths);
    expect(state.status).toBe("error");
    expect(state.runner_pid).toBeNull();
  });

  it("startDetachedRunner refuses when a live runner holds the lock, naming its PID", async () => {
    const paths = carPaths((repo as TestRepo).root);
    await fsp.writeFile(paths.lock, `${process.pid}\n`);
    const err = await startDetachedRunner(paths.root).catch((e: unknown) => e);
    expect(isCarError(err, "LOCK_HELD")).toBe(true);
    expect((err as { details: { pid: number } }).details.pid).toBe(process.pid);
  });

  it("a rollback holding the lock is never signalled: kill, stop and --force refuse, it lives on", async () => {
    const paths = carPaths((repo as TestRepo).root);
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    started.push(holder.pid as number);
    const pid = holder.pid as number;
    await waitFor(() => processStartTime(pid) !== null, "sleep to start");
    const lock = {
      pid,
      host: hostname(),
      started_at: null,
      pid_start: processStartTime(pid),
      purpose: "rollback",
    };
    await fsp.writeFile(paths.lock, `${JSON.stringify(lock)}\n`);

    const kill = await killRunner(paths.root, { graceMs: 200 }).catch((e: unknown) => e);
    expect(isCarError(kill, "LOCK_HELD")).toBe(true);
    expect((kill as Error).message).toContain(`a rollback (PID ${pid})`);
    const stop = await requestStop(paths.root).catch((e: unknown) => e);
    expect(isCarError(stop, "NOT_RUNNING")).toBe(true);
    expect(existsSync(paths.stop)).toBe(false);
    const forced = await runLoop({ root: paths.root, force: true }).catch((e: unknown) => e);
    expect(isCarError(forced, "LOCK_HELD")).toBe(true);
    expect((forced as Error).message).toMatch(
      /^A rollback in progress holds the lock .*try again when it ends/,
    );
    expect(isProcessAlive(pid)).toBe(true);
    expect(JSON.parse(await readText(paths.lock))).toMatchObject({ pid, purpose: "rollback" });
  });
});
