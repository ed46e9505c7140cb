import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { type Receiver, refusedPort, startReceiver } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { readState } from "../state-store.js";
import { queueSteer } from "../steer/repo.js";
import { runLoop } from "./loop.js";
import { agentEnv, rateLimitedBackend, readText, useTestRepos, waitFor } from "./test-fixtures.js";

// The runner's notifications, from real loops (stand-in agent) to a local receiver: what is sent
// when, in the documented shape, signed; and that a receiver that fails changes nothing else.

const SECRET = "s3cret-value-for-the-hmac-0123456789";
const makeRepo = useTestRepos();
let receiver: Receiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

async function setup(url: string, runner = "", events = "") {
  const { repo, paths } = await makeRepo({
    runner,
    extraYaml: `notify:\n  targets:\n    - {type: webhook, url: "${url}", secret_env: CAR_TEST_HOOK_SECRET${events}}\n`,
  });
  return { repo, paths, env: agentEnv(repo, { CAR_TEST_HOOK_SECRET: SECRET }) };
}

const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body));

describe("notifications from the loop", () => {
  it("sends loop_stopped with the documented JSON, header and a valid signature (run_finished opt-in)", async () => {
    receiver = await startReceiver();
    const { repo, env } = await setup(`${receiver.origin}/hook`);
    expect(await runLoop({ root: repo.root, env })).toMatchObject({ reason: "todo_done", runs: 3 });
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req?.headers["x-car-event"]).toBe("loop_stopped");
    const expected = createHmac("sha256", SECRET)
      .update(req?.body ?? "")
      .digest("hex");
    expect(req?.headers["x-car-signature"]).toBe(`sha256=${expected}`);
    const body = bodies(receiver)[0];
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(["event", "repo", "run_id", "reason", "message", "todo", "usage", "at"]),
    );
    expect(body).toMatchObject({
      event: "loop_stopped",
      repo: { path: repo.root },
      run_id: 3,
      reason: "todo_done",
      todo: { done: 3, outstanding: 0 },
      test: false,
    });
  });

  it("sends run_failed and loop_stopped for a failing agent; run_finished only when asked for", async () => {
    receiver = await startReceiver();
    const { repo, env } = await setup(
      `${receiver.origin}/hook`,
      "  max_retries: 0",
      ", events: [run_failed, run_finished, loop_stopped]",
    );
    const result = await runLoop({ root: repo.root, env: { ...env, AGENT_MODE: "fail" } });
    expect(result.reason).toBe("agent_failed");
    expect(bodies(receiver).map((b) => [b.event, b.reason, b.run_id])).toEqual([
      ["run_failed", "failed", 1],
      ["run_finished", "failed", 1],
      ["loop_stopped", "agent_failed", 1],
    ]);
  });

  it("sends waiting (with until) and resumed around a usage-limit wait", async () => {
    receiver = await startReceiver();
    const { repo, env } = await setup(`${receiver.origin}/hook`, "  max_retries: 0\n  stop_after_runs: 1");
    await runLoop({ root: repo.root, env, backend: rateLimitedBackend(1, 200) });
    const [waiting, resumed] = bodies(receiver);
    expect(waiting).toMatchObject({
      event: "waiting",
      reason: "rate_limit",
      run_id: 1,
      message: "usage limit reached",
    });
    expect(Date.parse(waiting.until)).toBeGreaterThan(Date.parse(waiting.at) - 1000);
    expect(resumed).toMatchObject({ event: "resumed", reason: "rate_limit", run_id: 1 });
  });

  it("sends needs_input with the question, and resumed once it is answered", async () => {
    receiver = await startReceiver();
    const { repo, paths, env } = await setup(`${receiver.origin}/hook`);
    const running = runLoop({
      root: repo.root,
      env: { ...env, AGENT_MODE: "ask-once", AGENT_ASK: "Which DB?" },
    });
    await waitFor(
      () => receiver?.requests.some((r) => r.headers["x-car-event"] === "needs_input") ?? false,
      "needs_input",
    );
    const asked = bodies(receiver).find((b) => b.event === "needs_input");
    expect(asked).toMatchObject({ reason: "needs_input", message: "Which DB?" });
    expect(typeof asked.until).toBe("string");
    await queueSteer(paths, "Postgres");
    await running;
    expect(bodies(receiver).some((b) => b.event === "resumed" && b.reason === "needs_input")).toBe(true);
  });

  it("a receiver that refuses or never answers changes nothing but a logged failure; no secret on disk", async () => {
    receiver = await startReceiver("hang");
    for (const url of [`http://127.0.0.1:${await refusedPort()}/hook`, `${receiver.origin}/hook`]) {
      const { repo, paths, env } = await setup(url);
      const started = Date.now();
      const result = await runLoop({ root: repo.root, env });
      expect(result).toMatchObject({ reason: "todo_done", runs: 3 });
      // Bounded: the runner waits a few seconds at most for deliveries (generous margin for CI).
      expect(Date.now() - started).toBeLessThan(20_000);
      const log = await readText(paths.log);
      expect(log).toMatch(/car: notify webhook[^:]*: /);
      const state = await readState(paths);
      expect(state).toMatchObject({ status: "idle", notify_error: { event: "loop_stopped" } });
      // grep exits 1 when no file holds the secret.
      const grep = spawnSync("grep", ["-rlF", SECRET, repo.root], { encoding: "utf8" });
      expect([grep.status, grep.stdout]).toEqual([1, ""]);
    }
  }, 60_000);
});
