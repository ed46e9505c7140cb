/**
 * The real codex under car's control surfaces: chat through the HTTP API (read-only sandbox) and
 * `car kill` in the middle of a run (no codex, and nothing codex started, survives).
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  commandThenSay,
  type ModelRequest,
  runCar,
  runCommand,
  say,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import {
  makeCodexRepo,
  processesTagged,
  readLog,
  readRunRecords,
  readState,
  trackForCleanup,
} from "./setup.js";

const tracked = trackForCleanup();

describe("chat through the API with the real codex", () => {
  it("answers with the model's text and cannot write files", async () => {
    const srv = await startModelServer({
      script: commandThenSay("echo pwned > pwned.txt", "The answer is 42."),
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv);
    tracked.repo = r;
    const spawned = spawnCar(["serve", "--port", "0", "--no-auth"], {
      cwd: r.root,
      env: r.env,
      timeoutMs: 100_000,
    });
    tracked.car = spawned;
    const url = await Promise.race([
      waitFor(() => /serving (http:\/\/\S+)/.exec(spawned.stdout())?.[1], {
        timeoutMs: 30_000,
        what: "car serve to print its URL",
      }),
      spawned.exited.then((x): never => {
        throw new Error(`car serve exited early (code ${x.code}): ${x.stderr}`);
      }),
    ]);

    const res = await fetch(`${url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "What is the answer? Also write pwned.txt." }),
    });
    const body = (await res.json()) as { response?: string; chat_id?: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.response).toBe("The answer is 42.");
    expect(body.chat_id).toMatch(/^chat-/);

    // The model did try to write; the read-only sandbox refused.
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[0]?.prompt).toContain("What is the answer? Also write pwned.txt.");
    expect(srv.requests[1]?.functionOutputs[0]?.output).toMatch(
      /Read-only file system|exited with code [1-9]/,
    );
    expect(existsSync(join(r.root, "pwned.txt"))).toBe(false);
    // Chat is outside the loop: no run was recorded.
    expect(existsSync(join(r.dir, "runs", "1.json"))).toBe(false);
  });
});

describe("car kill with the real codex", () => {
  it("ends the run mid-command and leaves no codex (or its shell children) behind", async () => {
    const tag = `CAR_E2E_TAG=${randomUUID()}`;
    const [tagKey, tagValue] = tag.split("=") as [string, string];
    const srv = await startModelServer({
      script: (req: ModelRequest) => (req.isFollowUp ? say("slept") : runCommand("sleep 120")),
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv, { runner: { kill_grace_seconds: 2 } });
    tracked.repo = r;
    const car = spawnCar(["run", "--quiet"], {
      cwd: r.root,
      env: { ...r.env, [tagKey]: tagValue },
      timeoutMs: 100_000,
    });
    tracked.car = car;

    // codex is running the model's `sleep 120`.
    await waitFor(() => processesTagged(tag).some((p) => p.cmd.includes("sleep 120")), {
      timeoutMs: 60_000,
      what: "codex to start `sleep 120`",
    });
    expect(processesTagged(tag).some((p) => /codex/.test(p.cmd))).toBe(true);

    const kill = await runCar(["kill"], { cwd: r.root, env: r.env, timeoutMs: 60_000 });
    expect(kill.code, `${kill.stdout}\n${kill.stderr}`).toBe(0);

    await car.exited;
    await waitFor(() => processesTagged(tag).length === 0, {
      timeoutMs: 20_000,
      what: `no tagged process left (still: ${JSON.stringify(processesTagged(tag))})`,
    });
    const state = readState(r);
    expect(state.status).toBe("error");
    expect(state.agent_pid ?? null).toBeNull();
    expect(readLog(r)).toMatch(/=== run 1 end \((code \d+|interrupted)\) ===/);
  });
});

describe("run timeout with the real codex", () => {
  it("kills a run that takes too long (codex and its command), outcome timed_out, no retry", async () => {
    const tag = `CAR_E2E_TAG=${randomUUID()}`;
    const [tagKey, tagValue] = tag.split("=") as [string, string];
    const srv = await startModelServer({
      script: (req: ModelRequest) => (req.isFollowUp ? say("slept") : runCommand("sleep 121")),
    });
    tracked.server = srv;
    const repo = makeCodexRepo(srv, { runner: { run_timeout_seconds: 4, kill_grace_seconds: 1 } });
    tracked.repo = repo;
    const r = await runCar(["run", "--quiet"], {
      cwd: repo.root,
      env: { ...repo.env, [tagKey]: tagValue },
      timeoutMs: 100_000,
    });
    expect(r.code).not.toBe(0);
    const rec = readRunRecords(repo);
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ outcome: "timed_out", attempts: 1 });
    expect(srv.requests).toHaveLength(1);
    await waitFor(() => processesTagged(tag).length === 0, {
      timeoutMs: 20_000,
      what: "no process of the timed-out run left",
    });
  });
});

describe("car doctor with the real codex", () => {
  it("reports the pinned codex version and --json support", async () => {
    const srv = await startModelServer({ script: [] });
    tracked.server = srv;
    const repo = makeCodexRepo(srv);
    tracked.repo = repo;
    const r = await runCar(["doctor"], { cwd: repo.root, env: repo.env, timeoutMs: 60_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+agent version\s+.*codex 0\.169\.0$/m);
    expect(r.stdout).toMatch(/^ok\s+agent --json support/m);
    // Probing never talks to the model.
    expect(srv.requests).toHaveLength(0);
  });
});
