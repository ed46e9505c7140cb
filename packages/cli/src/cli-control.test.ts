import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findLifelines } from "@codex-autorunner/core/node";
import { isAlive, makeTempRepo, runCar, spawnCar, type TempRepo, waitFor } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  agentPidFromLog,
  killQuietly,
  lockPath,
  readLog,
  readState,
  statusJson,
  todoPath,
} from "./test-support.js";

// Each test starts `car run` with an agent that sleeps, so there is a run in flight to act on.
const SLEEPY = { STAND_IN_MODE: "sleep", STAND_IN_SLEEP_MS: "60000" };

describe("car with a run in flight (built bin, real processes)", () => {
  let repo: TempRepo | null = null;
  const pids: number[] = [];

  afterEach(() => {
    for (const pid of pids.splice(0)) killQuietly(pid);
    repo?.cleanup();
    repo = null;
  });

  /** Starts `car run` and waits until the agent of run 1 is alive and printing. */
  async function startSleepyRun(env: Record<string, string> = SLEEPY) {
    repo = makeTempRepo();
    const root = repo.root;
    const car = spawnCar(["run"], { cwd: root, env, timeoutMs: 120_000 });
    pids.push(car.pid);
    const agentPid = await waitFor(
      () => (readLog(root).includes("run=1 stdout: heartbeat") ? agentPidFromLog(root, 1) : null),
      {
        timeoutMs: 30_000,
        what: "the agent's first heartbeat in the log",
      },
    );
    pids.push(agentPid);
    // The runner records the agent's PID in state.json just after spawning it; on a loaded machine the
    // agent can print first. Kill-after-crash relies on that record, so wait for it.
    const statePath = join(root, ".codex-autorunner", "state.json");
    await waitFor(() => JSON.parse(readFileSync(statePath, "utf8")).agent_pid === agentPid, {
      timeoutMs: 30_000,
      what: "state.json to record the agent's PID",
    });
    return { root, car, agentPid };
  }

  it("refuses a second `car run` and names the holder's PID", async () => {
    const { root, car } = await startSleepyRun();
    const second = await runCar(["run"], { cwd: root });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^car: /m);
    expect(second.stderr).toContain(String(car.pid));
    expect(second.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const status = await statusJson(root);
    expect(status.running).toBe(true);
    expect(status.lock.alive).toBe(true);
    expect(status.runner_pid ?? status.lock.info?.pid).toBe(car.pid);
  });

  it("SIGINT → exit 130, end marker written, lock gone, agent ended", async () => {
    const { root, car, agentPid } = await startSleepyRun();
    car.child.kill("SIGINT");
    const r = await car.exited;
    expect(r.code).toBe(130);
    const log = readLog(root);
    expect(log).toMatch(/=== run 1 end \((code \d+|interrupted)\) ===\n/);
    expect(existsSync(lockPath(root))).toBe(false);
    await waitFor(() => !isAlive(agentPid), { timeoutMs: 20_000, what: "the agent to be gone" });
    const status = await statusJson(root);
    expect(status.running).toBe(false);
    expect(status.status).not.toBe("running");
    expect(readState(root).status).not.toBe("running");
  });

  it("kill -9 of the runner → status shows it not alive; resume continues with the next run id", async () => {
    const { root, car, agentPid } = await startSleepyRun();
    car.child.kill("SIGKILL");
    await car.exited;
    // The agent has its own process group and survives its runner; end it like a user would have to.
    killQuietly(agentPid);
    await waitFor(() => !isAlive(agentPid), { timeoutMs: 20_000, what: "the orphaned agent to be gone" });

    const status = await statusJson(root);
    expect(status.running).toBe(false);
    expect(status.lock.alive).toBe(false);
    expect(status.status).not.toBe("running");
    const human = await runCar(["status"], { cwd: root });
    expect(human.stdout).toMatch(/not alive|not running/);

    const resumed = await runCar(["resume"], { cwd: root, timeoutMs: 90_000 });
    expect(resumed.stderr).not.toMatch(/internal error/);
    expect(resumed.code).toBe(0);
    const log = readLog(root);
    expect(log.match(/=== run 1 start ===/g)).toHaveLength(1);
    expect(log).toContain("=== run 2 start ===\n");
    expect(log.indexOf("=== run 2 start ===")).toBeGreaterThan(log.indexOf("=== run 1 start ==="));
    expect(log).toContain("=== run 4 end (code 0) ===\n");
    expect(readFileSync(todoPath(root), "utf8")).not.toContain("[ ]");
    const after = await statusJson(root);
    expect(after.status).toBe("idle");
    expect(after.last_run_id).toBe(4);
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("stop makes the loop finish after the current run (exit 0)", async () => {
    const { root, car } = await startSleepyRun({ STAND_IN_MODE: "sleep", STAND_IN_SLEEP_MS: "6000" });
    const stop = await runCar(["stop"], { cwd: root });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(String(car.pid));
    const r = await car.exited;
    expect(r.code).toBe(0);
    const log = readLog(root);
    expect(log).toContain("=== run 1 end (code 0) ===\n");
    expect(log).not.toContain("=== run 2 start ===");
    // The current run was allowed to finish its work.
    expect(readFileSync(todoPath(root), "utf8")).toContain("- [x] first task");
    expect(readFileSync(todoPath(root), "utf8")).toContain("- [ ] second task");
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("kill ends the runner and the agent, and marks status error", async () => {
    const { root, car, agentPid } = await startSleepyRun();
    const k = await runCar(["kill", "--grace", "1"], { cwd: root });
    expect(k.stderr).toBe("");
    expect(k.code).toBe(0);
    expect(k.stdout).toContain(String(car.pid));
    const r = await car.exited;
    expect(r.code).not.toBe(0);
    await waitFor(() => !isAlive(agentPid), { timeoutMs: 20_000, what: "the agent to be gone" });
    const status = await statusJson(root);
    expect(status.running).toBe(false);
    expect(status.status).toBe("error");
    expect(status.lock.alive).toBe(false);
  });

  it("kill after the runner died ends the orphaned agent's group", async () => {
    const { root, car, agentPid } = await startSleepyRun();
    // The run's lifeline would end the agent within moments; take it down first, as a crash might.
    for (const pid of findLifelines(readState(root).agent_marker as string)) killQuietly(pid);
    car.child.kill("SIGKILL");
    await car.exited;
    expect(isAlive(agentPid)).toBe(true);
    const k = await runCar(["kill", "--grace", "1"], { cwd: root });
    expect(k.code).toBe(0);
    expect(k.stdout).toContain(`orphaned agent process group ${agentPid}`);
    await waitFor(() => !isAlive(agentPid), { timeoutMs: 20_000, what: "the orphaned agent to be gone" });
    expect(existsSync(lockPath(root))).toBe(false);
  });

  it("stop and kill with nothing running exit 1", async () => {
    repo = makeTempRepo();
    const stop = await runCar(["stop"], { cwd: repo.root });
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/^car: /m);
    const kill = await runCar(["kill"], { cwd: repo.root });
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/^car: /m);
  });
});
