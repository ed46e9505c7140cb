/**
 * Nothing a run started survives it, with the real Codex CLI. Codex runs each tool call in its own
 * session, so a background job there (`(sleep 333) &`) is outside the agent's process group; car finds
 * it by the run marker in its environment. Every scenario tags `car` with a unique environment
 * variable, inherited by everything below it (runner, codex, the shells, the lifeline watcher), and
 * ends only when no tagged process is left.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  type ModelRequest,
  type ModelServer,
  runCar,
  runCommand,
  type SpawnedCar,
  say,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import {
  type CodexRepo,
  makeCodexRepo,
  processesTagged,
  readLog,
  readRunRecords,
  readState,
  trackForCleanup,
} from "./setup.js";

let tag = "";

const tracked = trackForCleanup({
  carSignal: "SIGKILL",
  // Whatever a failed scenario left behind must not leak into the next one.
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

/** The model's first answer: a tool call that leaves `sleep 333` running in the background. */
const BACKGROUND = "(sleep 333) & sleep 121";

async function startRun(
  command: string,
  runner: Record<string, unknown> = {},
): Promise<{ srv: ModelServer; r: CodexRepo; spawned: SpawnedCar }> {
  tag = `CAR_E2E_TAG=${randomUUID()}`;
  const [key, value] = tag.split("=") as [string, string];
  const srv = await startModelServer({
    script: (req: ModelRequest) => (req.isFollowUp ? say("done") : runCommand(command)),
  });
  tracked.server = srv;
  const r = makeCodexRepo(srv, { runner: { kill_grace_seconds: 1, ...runner } });
  tracked.repo = r;
  const spawned = spawnCar(["run", "--quiet"], {
    cwd: r.root,
    env: { ...r.env, [key]: value },
    timeoutMs: 100_000,
  });
  tracked.car = spawned;
  return { srv, r, spawned };
}

async function backgroundJobRunning(): Promise<void> {
  await waitFor(() => processesTagged(tag).some((p) => p.cmd === "sleep 333"), {
    timeoutMs: 60_000,
    what: "codex's tool call to start `(sleep 333) &`",
  }).catch((err: Error) => {
    const seen = JSON.stringify(processesTagged(tag).map((p) => p.cmd.slice(0, 80)));
    throw new Error(
      `${err.message}\nprocesses: ${seen}\nlog:\n${tracked.repo ? readLog(tracked.repo) : ""}\n${tracked.car?.stderr()}`,
    );
  });
  // It is in codex's tool-call session, not in the agent's process group.
  const sleep = processesTagged(tag).find((p) => p.cmd === "sleep 333");
  const codex = processesTagged(tag).find((p) => /codex/.test(p.cmd));
  expect(codex, "codex is running").toBeDefined();
  expect(pgidOf(sleep?.pid ?? 0)).not.toBe(pgidOf(codex?.pid ?? 0));
}

function pgidOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}

async function nothingLeft(what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => processesTagged(tag).length === 0, {
    timeoutMs,
    what: `${what}: no process of the run left (still: ${JSON.stringify(processesTagged(tag))})`,
  });
}

describe("no process of a run outlives it (real codex)", () => {
  it("`car kill` mid tool call ends codex and the background job in the tool call's session", async () => {
    const { r, spawned } = await startRun(BACKGROUND);
    await backgroundJobRunning();
    const kill = await runCar(["kill"], { cwd: r.root, env: r.env, timeoutMs: 60_000 });
    expect(kill.code, `${kill.stdout}\n${kill.stderr}`).toBe(0);
    await spawned.exited;
    await nothingLeft("after car kill");
    expect(readState(r)).toMatchObject({ status: "error", reason: "killed by SIGTERM", agent_marker: null });
    expect(readLog(r).match(/=== run 1 end /g)).toHaveLength(1);
  });

  it("Ctrl-C (SIGINT) ends everything the run started; exit 130", async () => {
    const { r, spawned } = await startRun(BACKGROUND);
    await backgroundJobRunning();
    spawned.child.kill("SIGINT");
    const res = await spawned.exited;
    expect(res.code, res.stderr).toBe(130);
    await nothingLeft("after Ctrl-C");
    expect(readLog(r)).toMatch(/run=1 stderr: \[car\] ended \d+ leftover process\(es\) of run 1/);
    expect(readLog(r).match(/=== run 1 end /g)).toHaveLength(1);
  });

  it("the run timeout ends everything the run started (outcome timed_out)", async () => {
    const { r, spawned } = await startRun(BACKGROUND, { run_timeout_seconds: 10 });
    await backgroundJobRunning();
    const res = await spawned.exited;
    expect(res.code).not.toBe(0);
    expect(readRunRecords(r)[0]).toMatchObject({ outcome: "timed_out" });
    await nothingLeft("after the run timeout", 5_000);
  });

  it("a run that ends normally ends a job the tool call detached into a new session", async () => {
    // codex ends its own tool-call sessions when it exits; `setsid -f` escapes even that.
    const { r, spawned } = await startRun("setsid -f sleep 334 >/dev/null 2>&1; echo detached", {
      stop_after_runs: 1,
    });
    const res = await spawned.exited;
    expect(res.code, `${res.stderr}\n${readLog(r)}`).toBe(0);
    expect(readRunRecords(r)[0]).toMatchObject({ outcome: "completed" });
    // At least the detached sleep (a login shell's profile may leave more, e.g. a background rehash).
    expect(readLog(r)).toMatch(/run=1 stderr: \[car\] ended [1-9]\d* leftover process\(es\) of run 1/);
    await nothingLeft("after a normal end", 5_000);
  });

  it("kill -9 of the runner mid-run: its lifeline ends the run within seconds; the model hears nothing more", async () => {
    // The tool call returns after 4 s; a codex that survived would then ask the model again.
    const { srv, r, spawned } = await startRun("(sleep 333) & sleep 4");
    await backgroundJobRunning();
    const before = srv.requests.length;
    const killedAt = Date.now();
    spawned.child.kill("SIGKILL");
    await spawned.exited;
    await nothingLeft("after kill -9 of the runner", 5_000);
    // Past the moment the tool call would have returned, plus time for a request to arrive.
    await new Promise((res) => setTimeout(res, Math.max(0, killedAt + 7_000 - Date.now())));
    expect(srv.requests.length, "requests after the runner died").toBe(before);
    expect(srv.pending()).toBe(0);
    // The dead runner's state still names the run; status no longer sees anything of it alive.
    const st = await runCar(["status", "--json"], { cwd: r.root, env: r.env });
    expect(JSON.parse(st.stdout)).toMatchObject({ running: false, stale: true, orphaned_agent: null });
  });
});
