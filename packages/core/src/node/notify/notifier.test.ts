// The notifier as the runner will use it: send() never waits, deliveries go on in the background, in
// order per target, filtered by event; flush() is bounded; failures reach onFailure redacted.
import { type Receiver, refusedPort, startReceiver } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { notifyEvent } from "../../notify/event.js";
import type { NotifyEventName } from "../../notify/settings.js";
import { parseTargets } from "../../notify/test-fixtures.js";
import { createNotifier, type Notifier } from "./notifier.js";

const receivers: Receiver[] = [];
const notifiers: Notifier[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  for (const n of notifiers.splice(0)) n.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const repo = { name: "shop", path: "/srv/shop" };
const ev = (event: NotifyEventName) => notifyEvent({ event, repo, reason: "todo_done" });
const BOT = "555:Bot-Token_Secret";
const SECRET = "webhook-signing-secret";

function make(list: unknown[], env: Record<string, string> = {}, options = {}) {
  const failures: Array<[string, string]> = [];
  const { notifier, problems } = createNotifier(parseTargets(list), {
    env,
    timeoutMs: 5_000,
    attempts: 3,
    backoffMs: 10,
    onFailure: (label, error) => failures.push([label, error]),
    ...options,
  });
  notifiers.push(notifier);
  return { notifier, problems, failures };
}

describe("Notifier", () => {
  it("delivers in the background, in order per target, and records the last result", async () => {
    const r = await receiver();
    const { notifier, failures } = make([{ type: "webhook", url: `${r.origin}/h` }]);
    notifier.send(ev("waiting"));
    notifier.send(ev("resumed"));
    notifier.send(ev("loop_stopped"));
    // Nothing has been sent yet: send() only queued.
    expect(notifier.pending).toBe(3);
    expect(r.requests).toHaveLength(0);
    expect(await notifier.flush(10_000)).toEqual({ pending: 0 });
    expect(r.requests.map((q) => q.headers["x-car-event"])).toEqual(["waiting", "resumed", "loop_stopped"]);
    expect(failures).toEqual([]);
    expect(notifier.lastResults().get("webhook[0]")).toMatchObject({
      ok: true,
      event: "loop_stopped",
      status: 200,
      attempts: 1,
    });
  });

  it("sends run_finished only to targets that opted in", async () => {
    const r = await receiver();
    const { notifier } = make([
      { type: "webhook", url: `${r.origin}/default` },
      { type: "webhook", url: `${r.origin}/opted`, events: ["run_finished"] },
    ]);
    notifier.send(ev("run_finished"));
    notifier.send(ev("needs_input"));
    await notifier.flush(10_000);
    expect(r.requests.map((q) => `${q.url} ${q.headers["x-car-event"]}`).sort()).toEqual([
      "/default needs_input",
      "/opted run_finished",
    ]);
  });

  it("retries a receiver that answers 500 twice, then 200", async () => {
    const r = await receiver([500, 500, 200]);
    const { notifier, failures } = make([{ type: "discord", url: `${r.origin}/api/webhooks/1/x` }]);
    notifier.send(ev("loop_stopped"));
    await notifier.flush(10_000);
    expect(r.requests).toHaveLength(3);
    expect(failures).toEqual([]);
    expect(notifier.lastResults().get("discord[0]")).toMatchObject({ ok: true, attempts: 3 });
  });

  it("a refused and a silent receiver: send() returns at once, flush() keeps its deadline, failures redacted", async () => {
    const port = await refusedPort();
    const silent = await receiver("hang");
    const { notifier, failures } = make(
      [
        { type: "telegram", bot_token_env: "BOT", chat_id: "1", api_url: `http://127.0.0.1:${port}` },
        { type: "webhook", url_env: "HOOK", secret_env: "SECRET" },
      ],
      { BOT, HOOK: `${silent.origin}/h/${SECRET}`, SECRET },
      { timeoutMs: 300, attempts: 2 },
    );
    notifier.send(ev("loop_stopped"));
    expect(notifier.pending).toBe(2);
    // Bounded by timeout × attempts (+ backoff): all done well within a generous deadline.
    expect(await notifier.flush(10_000)).toEqual({ pending: 0 });
    expect(failures.map(([label]) => label).sort()).toEqual(["telegram[0]", "webhook[1]"]);
    const errors = Object.fromEntries(failures);
    expect(errors["telegram[0]"]).toMatch(/ECONNREFUSED .*\(2 attempts\)/);
    expect(errors["webhook[1]"]).toBe("no answer within 300 ms (2 attempts)");
    const everything = JSON.stringify([failures, [...notifier.lastResults()]]);
    for (const secret of [BOT, SECRET]) expect(everything).not.toContain(secret);
  });

  it("flush() keeps its deadline; close() abandons pending deliveries and later sends", async () => {
    const silent = await receiver("hang");
    const { notifier, failures } = make(
      [{ type: "ntfy", url: `${silent.origin}/t` }],
      {},
      { timeoutMs: 30_000 },
    );
    notifier.send(ev("needs_input"));
    await silent.received(1);
    // flush() returns at its deadline while the receiver still holds the delivery.
    expect(await notifier.flush(50)).toEqual({ pending: 1 });
    notifier.close();
    expect(await notifier.flush(10_000)).toEqual({ pending: 0 });
    expect(failures).toEqual([["ntfy[0]", "abandoned (notifier closed)"]]);
    notifier.send(ev("needs_input"));
    expect(notifier.pending).toBe(0);
  });

  it("drops events past the queue bound instead of piling them up", async () => {
    const silent = await receiver("hang");
    const { notifier, failures } = make([{ type: "slack", url: `${silent.origin}/s` }], {}, { maxQueue: 2 });
    for (const e of ["waiting", "resumed", "loop_stopped"] as const) notifier.send(ev(e));
    expect(notifier.pending).toBe(2);
    expect(failures).toEqual([["slack[0]", "dropped loop_stopped: 2 deliveries already pending"]]);
  });

  it("leaves out a target whose secret is missing, with a specific error, and a throwing onFailure is harmless", async () => {
    const r = await receiver(500);
    const { notifier, problems } = make(
      [
        { type: "slack", url_env: "SLACK_WEBHOOK_URL" },
        { type: "webhook", url: `${r.origin}/h` },
      ],
      {},
      {
        attempts: 1,
        onFailure: () => {
          throw new Error("logger broke");
        },
      },
    );
    expect(problems.map((p) => [p.label, p.error.message])).toEqual([
      ["slack[0]", "environment variable SLACK_WEBHOOK_URL (notify.targets[0].url_env) is not set"],
    ]);
    notifier.send(ev("loop_stopped"));
    notifier.send(ev("loop_stopped"));
    await notifier.flush(10_000);
    expect(r.requests).toHaveLength(2);
    expect(notifier.lastResults().get("webhook[1]")).toMatchObject({ ok: false, status: 500 });
  });
});
