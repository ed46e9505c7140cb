/**
 * Notifications from real loops (real codex, scripted model) to a local receiver: the webhook JSON
 * and its signature, Telegram's and ntfy's request shapes, and targets that refuse or never answer,
 * which must change neither the loop's outcome nor (beyond a few seconds) its duration, nor leak a
 * secret to disk.
 */
import { basename } from "node:path";
import {
  faultsThen,
  httpError,
  type Receiver,
  rateLimitedFor,
  refusedPort,
  runCar,
  startModelServer,
  startReceiver,
} from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { makeCodexRepo, readLog, readRunRecords, tickingModel, trackForCleanup } from "../codex/setup.js";
import { diag, filesContaining, hmacSha256Hex, stateOf, webhookEvents } from "./support.js";

const SECRET = "whsec-overnight-3f9a1c7e";
const BOT_TOKEN = "123456:overnight-bot-token-8d2e";
const SECRETS_ENV = { CAR_TEST_WEBHOOK_SECRET: SECRET, CAR_TEST_TG_TOKEN: BOT_TOKEN };
const WEBHOOK_KEYS = ["event", "repo", "run_id", "reason", "message", "todo", "usage", "until", "at", "test"];

const tracked = trackForCleanup();
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((rx) => rx.close()));
});

async function receiver(answer: number | "hang" = 200): Promise<Receiver> {
  const rx = await startReceiver(answer);
  receivers.push(rx);
  return rx;
}

/** webhook (signed) + telegram + ntfy, all to `origin`. */
function targetsAt(origin: string) {
  return [
    { type: "webhook", url: `${origin}/hook`, secret_env: "CAR_TEST_WEBHOOK_SECRET" },
    { type: "telegram", bot_token_env: "CAR_TEST_TG_TOKEN", chat_id: "12345", api_url: origin },
    { type: "ntfy", url: `${origin}/ntfy/car-topic` },
  ];
}

async function loop(
  script: Parameters<typeof startModelServer>[0]["script"],
  opts: { targets?: unknown[]; runner?: Record<string, unknown>; todo?: string[] } = {},
) {
  const srv = await startModelServer({ script });
  tracked.server = srv;
  const r = makeCodexRepo(srv, {
    todo: opts.todo ?? ["only task"],
    runner: { max_retries: 0, limit_wait_seconds: 1, ...opts.runner },
    ...(opts.targets ? { extraConfig: { notify: { targets: opts.targets } } } : {}),
  });
  tracked.repo = r;
  const started = Date.now();
  const out = await runCar(["run", "--quiet"], {
    cwd: r.root,
    env: { ...r.env, ...SECRETS_ENV },
    timeoutMs: 90_000,
  });
  return { r, srv, out, ms: Date.now() - started };
}

describe("notifications from real runs", () => {
  it("a limit wait, its end and the loop's end reach webhook, Telegram and ntfy in their shapes", async () => {
    const rx = await receiver();
    const { r, out } = await loop(faultsThen(1, rateLimitedFor(2), tickingModel), {
      targets: targetsAt(rx.origin),
    });
    expect(out.code, diag(r, out)).toBe(0);

    const hooks = webhookEvents(rx);
    expect(hooks.map((h) => h.event.event)).toEqual(["waiting", "resumed", "loop_stopped"]);
    for (const h of hooks) {
      expect(Object.keys(JSON.parse(h.body))).toEqual(WEBHOOK_KEYS);
      expect(h.event.repo).toEqual({ name: basename(r.root), path: r.root });
      expect(h.event.test).toBe(false);
      expect(Date.parse(h.event.at)).not.toBeNaN();
      expect(h.headers["x-car-event"]).toBe(h.event.event);
      expect(h.headers["content-type"]).toMatch(/^application\/json/);
      expect(h.headers["x-car-signature"]).toBe(`sha256=${hmacSha256Hex(SECRET, h.body)}`);
    }
    const [waiting, resumed, stopped] = hooks.map((h) => h.event);
    expect(waiting).toMatchObject({
      run_id: 1,
      reason: "rate_limit",
      message: expect.stringMatching(/try again in 2s/),
    });
    expect(Date.parse(waiting?.until ?? "") - Date.parse(waiting?.at ?? "")).toBeGreaterThanOrEqual(1500);
    expect(resumed).toMatchObject({ run_id: 1, reason: "rate_limit" });
    expect(stopped).toMatchObject({ reason: "todo_done", run_id: 1, todo: { done: 1, outstanding: 0 } });
    expect(stopped!.usage?.total_tokens).toBe(readRunRecords(r)[0]?.usage?.total_tokens);

    const telegram = rx.requests.filter((q) => q.url.startsWith("/bot"));
    expect(telegram).toHaveLength(3);
    for (const q of telegram) {
      expect(q.method).toBe("POST");
      expect(q.url).toBe(`/bot${BOT_TOKEN}/sendMessage`);
      const body = JSON.parse(q.body) as { chat_id: string; text: string };
      expect(body.chat_id).toBe("12345");
      expect(body.text.startsWith(`${basename(r.root)}: `)).toBe(true);
    }
    const ntfy = rx.requests.filter((q) => q.url === "/ntfy/car-topic");
    expect(ntfy).toHaveLength(3);
    for (const q of ntfy) {
      expect(q.method).toBe("POST");
      expect(q.headers["content-type"]).toMatch(/^text\/plain/);
      expect(q.headers.title).toContain(basename(r.root));
      expect(q.body.trim().length).toBeGreaterThan(0);
      expect(() => JSON.parse(q.body)).toThrow();
    }
    expect(filesContaining(r.root, SECRET)).toEqual([]);
    expect(filesContaining(r.root, BOT_TOKEN)).toEqual([]);
  });

  it("a failing agent sends run_failed, then loop_stopped with the reason", async () => {
    const rx = await receiver();
    const { r, out } = await loop(() => httpError(500, "boom"), {
      targets: [targetsAt(rx.origin)[0]],
    });
    expect(out.code, diag(r, out)).toBe(1);
    const events = webhookEvents(rx).map((h) => h.event);
    expect(events.map((e) => e.event)).toEqual(["run_failed", "loop_stopped"]);
    expect(events[0]).toMatchObject({ run_id: 1, reason: "failed" });
    expect(events[0]?.message).toBeTruthy();
    expect(events[1]).toMatchObject({ reason: "agent_failed", run_id: 1, todo: { done: 0, outstanding: 1 } });
  });

  it("targets that refuse or never answer: same outcome, bounded delay, logged, no secret on disk", async () => {
    const base = await loop(tickingModel);
    expect(base.out.code, diag(base.r, base.out)).toBe(0);
    await tracked.server?.close();
    tracked.repo?.cleanup();

    const hang = await receiver("hang");
    const refused = `http://127.0.0.1:${await refusedPort()}`;
    const { r, out, ms } = await loop(tickingModel, {
      targets: [
        { type: "webhook", url: `${refused}/hook`, secret_env: "CAR_TEST_WEBHOOK_SECRET" },
        { type: "telegram", bot_token_env: "CAR_TEST_TG_TOKEN", chat_id: "12345", api_url: refused },
        { type: "webhook", url: `${hang.origin}/hook`, secret_env: "CAR_TEST_WEBHOOK_SECRET" },
      ],
    });
    expect(out.code, diag(r, out)).toBe(0);
    expect(readRunRecords(r).map((x) => x.outcome)).toEqual(["completed"]);
    // The hanging receiver did get the event: the runner tried, then stopped waiting for it.
    expect(webhookEvents(hang).map((h) => h.event.event)).toContain("loop_stopped");
    expect(ms - base.ms, `with dead targets ${ms} ms, without ${base.ms} ms`).toBeLessThan(15_000);
    // The documented line, naming the target and why it failed (after the last run: a note line).
    expect(readLog(r)).toMatch(/(\[car\]|\] car:) notify webhook\[0\]: .*refused/i);
    const failure = stateOf(r).notify_error;
    expect(failure).toMatchObject({ event: "loop_stopped" });
    expect(JSON.stringify(failure)).not.toContain(BOT_TOKEN);
    expect(filesContaining(r.root, SECRET)).toEqual([]);
    expect(filesContaining(r.root, BOT_TOKEN)).toEqual([]);
  });
});
