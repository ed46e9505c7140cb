/**
 * Steering a running loop and answering the agent's question, with the real codex: a message reaches
 * exactly one run's prompt (the next to start) in a <STEERING> block and is marked delivered with that
 * run; NEEDS_INPUT pauses the loop (status waiting_input) until `car steer` answers, or until
 * runner.input_wait_seconds runs out (reason needs_input, with a notification).
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ModelRequest,
  type Receiver,
  type ReplyStep,
  runCar,
  spawnCar,
  startModelServer,
  startReceiver,
  waitFor,
} from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CodexRepo,
  makeCodexRepo,
  readRunRecords,
  tickingModel,
  trackForCleanup,
} from "../codex/setup.js";
import { readRecord } from "../verify/support.js";
import {
  askUntilAnswered,
  attempts,
  diag,
  stateOf,
  steeringBlock,
  waitForState,
  webhookEvents,
} from "./support.js";

const tracked = trackForCleanup();
let rx: Receiver | null = null;

afterEach(async () => {
  await rx?.close();
  rx = null;
});

interface SteerListJson {
  messages: Array<{ id: string; text: string; state: string; run_id: number | null }>;
}

async function steerList(r: CodexRepo): Promise<SteerListJson> {
  const out = await runCar(["steer", "--list", "--json"], { cwd: r.root, env: r.env });
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as SteerListJson;
}

describe("car steer with the real codex", () => {
  it("a message queued before the run and one sent during it: each reaches exactly one run, in order", async () => {
    // Run 1's first request is slow, so the second message arrives while run 1 is in flight.
    const model = (req: ModelRequest): ReplyStep => {
      const step = tickingModel(req);
      return req.index === 0 ? { ...step, delayMs: 2500 } : step;
    };
    const srv = await startModelServer({ script: model });
    tracked.server = srv;
    const r = makeCodexRepo(srv, { todo: ["first task", "second task", "third task"] });
    tracked.repo = r;
    const before = await runCar(["steer", "use tabs"], { cwd: r.root, env: r.env });
    expect(before.code, before.stderr).toBe(0);

    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    await waitFor(() => srv.requests.length >= 1, { timeoutMs: 60_000, what: "run 1's first request" });
    const during = await runCar(["steer", "prefer small commits"], { cwd: r.root, env: r.env });
    expect(during.code, during.stderr).toBe(0);
    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);

    const blocks = attempts(srv.requests).map((q) => steeringBlock(q.prompt));
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toContain("use tabs");
    expect(blocks[0]).not.toContain("prefer small commits");
    expect(blocks[1]).toContain("prefer small commits");
    expect(blocks[1]).not.toContain("use tabs");
    expect(blocks[2]).toBeNull();

    const list = await steerList(r);
    expect(list.messages.map((m) => [m.text, m.state, m.run_id])).toEqual([
      ["use tabs", "delivered", 1],
      ["prefer small commits", "delivered", 2],
    ]);
    expect(readRecord(r, 1).steering).toEqual([list.messages[0]?.id]);
    expect(readRecord(r, 2).steering).toEqual([list.messages[1]?.id]);
    expect(readRecord(r, 3).steering).toEqual([]);
  });

  it("NEEDS_INPUT pauses the loop without asking the model again; car steer answers and resumes it", async () => {
    const srv = await startModelServer({ script: askUntilAnswered("Which database?") });
    tracked.server = srv;
    const r = makeCodexRepo(srv, { todo: ["only task"], runner: { input_wait_seconds: 120 } });
    tracked.repo = r;
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    const paused = await waitForState(r, (s) => s.status === "waiting_input", "status waiting_input");
    expect(paused.waiting).toMatchObject({ reason: "needs_input", message: "Which database?" });
    expect(readRecord(r, 1).needs_input).toBe("Which database?");
    await sleep(1500);
    expect(attempts(srv.requests)).toHaveLength(1);
    expect(stateOf(r).status).toBe("waiting_input");

    const answered = Date.now();
    const steer = await runCar(["steer", "Postgres"], { cwd: r.root, env: r.env });
    expect(steer.code, steer.stderr).toBe(0);
    await waitFor(() => attempts(srv.requests).length >= 2, {
      timeoutMs: 10_000,
      what: "the next run's request after the answer",
    });
    const next = attempts(srv.requests)[1]!;
    expect(next.at - answered).toBeLessThan(10_000);
    expect(steeringBlock(next.prompt)).toContain("Postgres");
    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);
    expect(readRunRecords(r).map((x) => x.outcome)).toEqual(["completed", "completed"]);
    expect(stateOf(r).waiting ?? null).toBeNull();
  });

  it("an unanswered question: the loop stops with reason needs_input (exit 1) and says so", async () => {
    rx = await startReceiver();
    const srv = await startModelServer({ script: askUntilAnswered("Which database?") });
    tracked.server = srv;
    const r = makeCodexRepo(srv, {
      todo: ["only task"],
      runner: { input_wait_seconds: 2 },
      extraConfig: { notify: { targets: [{ type: "webhook", url: `${rx.origin}/hook` }] } },
    });
    tracked.repo = r;
    const done = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 60_000 });
    expect(done.code, diag(r, done)).toBe(1);
    expect(done.stderr).toContain("the agent's question went unanswered");
    expect(attempts(srv.requests)).toHaveLength(1);
    const events = webhookEvents(rx).map((h) => h.event);
    expect(events.map((e) => e.event)).toEqual(["needs_input", "loop_stopped"]);
    expect(events[0]).toMatchObject({ run_id: 1, message: "Which database?" });
    expect(events[1]).toMatchObject({ reason: "needs_input" });
  });
});
