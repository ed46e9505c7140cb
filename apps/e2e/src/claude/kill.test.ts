/**
 * `car kill`, Ctrl-C and the run timeout in the middle of a run of the real Claude Code CLI (claude is
 * running the model's Bash call: a long `sleep` plus a background job), and a run's normal end:
 * afterwards nothing of the run is left. `car` is tagged
 * with a unique environment variable that every process below it inherits (codex/setup.ts).
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import {
  isAlive,
  type ModelRequest,
  runCar,
  runCommand,
  say,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { processesTagged, readLog, readState, trackForCleanup } from "../codex/setup.js";
import { type ClaudeRepo, makeClaudeRepo, readAgentRecords } from "./setup.js";

let tag = "";

const tracked = trackForCleanup({
  carSignal: "SIGKILL",
  // Whatever a failed scenario left behind must not outlive it.
  afterCar: () => {
    for (const p of tag ? processesTagged(tag) : []) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  },
});

/** Live processes working inside `dir` (a process that dropped the tag from its environment still shows). */
function processesIn(dir: string): Array<{ pid: number; cwd: string }> {
  const found: Array<{ pid: number; cwd: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || !isAlive(Number(name))) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(name), cwd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `car run` with claude running the model's Bash call (`sleep 60` plus a background job), once both run. */
async function startClaudeRun(runner: Record<string, unknown> = {}, command = "(sleep 333) & sleep 60") {
  tag = `CAR_E2E_TAG=${randomUUID()}`;
  const [key, value] = tag.split("=") as [string, string];
  const srv = await startModelServer({
    script: (req: ModelRequest) => (req.isFollowUp ? say("slept") : runCommand(command)),
  });
  tracked.server = srv;
  const r = makeClaudeRepo(srv, { runner: { kill_grace_seconds: 1, ...runner } });
  tracked.repo = r;
  const car = spawnCar(["run", "--quiet"], {
    cwd: r.root,
    env: { ...r.env, [key]: value },
    timeoutMs: 60_000,
  });
  tracked.car = car;
  return { srv, r, car };
}

async function bothSleepsRunning(r: ClaudeRepo): Promise<void> {
  await waitFor(() => processesTagged(tag).some((p) => p.cmd === "sleep 60"), {
    timeoutMs: 30_000,
    what: `claude to start \`sleep 60\` (log: ${readLog(r)})`,
  });
  expect(processesTagged(tag).some((p) => p.cmd === "sleep 333")).toBe(true);
}

async function nothingLeft(root: string, what: string): Promise<void> {
  await waitFor(() => processesTagged(tag).length === 0, {
    timeoutMs: 15_000,
    what: `${what}: no process of the run left (still: ${JSON.stringify(processesTagged(tag))})`,
  });
  expect(processesIn(root)).toEqual([]);
}

describe("no process of a run with the real claude outlives it", () => {
  it("`car kill` mid Bash call: no claude, no sleep, no background job left", async () => {
    const { srv, r, car } = await startClaudeRun();
    await bothSleepsRunning(r);
    const agentPid = readState(r).agent_pid as number;
    expect(processesTagged(tag).find((p) => p.pid === agentPid)?.cmd).toMatch(/claude/);
    expect(processesIn(r.root).map((p) => p.pid)).toContain(agentPid);
    expect(srv.requests).toHaveLength(1);

    const kill = await runCar(["kill"], { cwd: r.root, env: r.env, timeoutMs: 30_000 });
    expect(kill.code, `${kill.stdout}\n${kill.stderr}`).toBe(0);
    await car.exited;
    await nothingLeft(r.root, "after car kill");
    expect(isAlive(agentPid)).toBe(false);

    const state = readState(r);
    expect(state).toMatchObject({
      status: "error",
      reason: "killed by SIGTERM",
      agent_pid: null,
      agent_marker: null,
    });
    expect(readAgentRecords(r)[0]).toMatchObject({ id: 1, agent: "claude", outcome: "killed" });
    expect(readLog(r).match(/=== run 1 end /g)).toHaveLength(1);
    // The killed claude never came back with the command's output.
    expect(srv.requests).toHaveLength(1);
  });

  it("Ctrl-C (SIGINT to `car run`) ends claude and everything it started; exit 130", async () => {
    const { r, car } = await startClaudeRun();
    await bothSleepsRunning(r);
    car.child.kill("SIGINT");
    const res = await car.exited;
    expect(res.code, res.stderr).toBe(130);
    await nothingLeft(r.root, "after Ctrl-C");
    expect(readAgentRecords(r)[0]).toMatchObject({ agent: "claude", outcome: "killed" });
    expect(readLog(r).match(/=== run 1 end /g)).toHaveLength(1);
  });

  it("the run timeout ends claude and everything it started (outcome timed_out, no retry)", async () => {
    const { srv, r, car } = await startClaudeRun({ run_timeout_seconds: 4 });
    await bothSleepsRunning(r);
    const res = await car.exited;
    expect(res.code).not.toBe(0);
    await nothingLeft(r.root, "after the run timeout");
    expect(readAgentRecords(r)[0]).toMatchObject({ agent: "claude", outcome: "timed_out", attempts: 1 });
    expect(srv.requests).toHaveLength(1);
  });

  it("a run that ends normally leaves no background job its Bash call started", async () => {
    const { r, car } = await startClaudeRun(
      { stop_after_runs: 1 },
      "(sleep 335 >/dev/null 2>&1) & echo started",
    );
    const res = await car.exited;
    expect(res.code, res.stderr).toBe(0);
    expect(readAgentRecords(r)[0]).toMatchObject({ agent: "claude", outcome: "completed" });
    await nothingLeft(r.root, "after the run ended");
  });
});
