// Each kind of target against a real HTTP receiver on 127.0.0.1: the request's documented shape, the
// webhook signature recomputed here, retries, refusals, redirects and timeouts.
import { createHmac } from "node:crypto";
import { type Receiver, refusedPort, startReceiver } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { notifyEvent, webhookBody } from "../../notify/event.js";
import { type ResolvedTarget, resolveTargets } from "../../notify/resolve.js";
import { parseTargets } from "../../notify/test-fixtures.js";
import { deliver } from "./deliver.js";

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const BOT = "987654:Secret-Bot_Token";
const SECRET = "hmac-key-ü-42";
const NTFY_TOKEN = "tk_ntfy_secret";

function resolved(list: unknown[], env: Record<string, string>): ResolvedTarget[] {
  return resolveTargets(parseTargets(list), env).map((r) => {
    if (!r.ok) throw r.error;
    return r.target;
  });
}

const event = notifyEvent({
  event: "waiting",
  repo: { name: "café", path: "/srv/café" },
  run_id: 3,
  reason: "usage_limit",
  message: "limit reached",
  todo: { done: 1, outstanding: 4 },
  until: "2030-01-01T10:30:00.000Z",
  at: "2030-01-01T10:00:00.000Z",
});
const fast = { timeoutMs: 5_000, attempts: 3, backoffMs: 10 };

describe("deliver", () => {
  it("webhook: the JSON body with X-Car-Event and a valid X-Car-Signature", async () => {
    const r = await receiver();
    const [target] = resolved([{ type: "webhook", url: `${r.origin}/hook?x=1`, secret_env: "S" }], {
      S: SECRET,
    });
    const result = await deliver(target!, event, fast);
    expect(result).toMatchObject({ label: "webhook[0]", ok: true, status: 200, error: null, attempts: 1 });
    const [req] = r.requests;
    expect(req).toMatchObject({ method: "POST", url: "/hook?x=1" });
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["x-car-event"]).toBe("waiting");
    expect(req!.body).toBe(webhookBody(event));
    const expected = `sha256=${createHmac("sha256", SECRET).update(req!.body).digest("hex")}`;
    expect(req!.headers["x-car-signature"]).toBe(expected);
    // Without secret_env there is no signature.
    const [plain] = resolved([{ type: "webhook", url: `${r.origin}/plain` }], {});
    await deliver(plain!, event, fast);
    expect(r.requests[1]!.headers).not.toHaveProperty("x-car-signature");
  });

  it("ntfy: text body to the topic URL with Title, Tags, Priority and the Bearer token", async () => {
    const r = await receiver();
    const [target] = resolved([{ type: "ntfy", url: `${r.origin}/my-topic`, token_env: "T" }], {
      T: NTFY_TOKEN,
    });
    expect((await deliver(target!, event, fast)).ok).toBe(true);
    const [req] = r.requests;
    expect(req).toMatchObject({ method: "POST", url: "/my-topic" });
    expect(req!.headers).toMatchObject({
      authorization: `Bearer ${NTFY_TOKEN}`,
      tags: "hourglass",
      priority: "3",
      "content-type": "text/plain; charset=utf-8",
    });
    // A non-ASCII title travels as an RFC 2047 encoded word.
    const title = String(req!.headers.title);
    expect(Buffer.from(title.slice(10, -2), "base64").toString("utf8")).toBe(
      "café: waiting (usage_limit) until 10:30 UTC",
    );
    expect(req!.body).toBe("limit reached\nTODO: 1 done, 4 outstanding");
  });

  it("slack, discord and telegram: their JSON at their URL (telegram at /bot<token>/sendMessage)", async () => {
    const r = await receiver();
    const targets = resolved(
      [
        { type: "slack", url_env: "SLACK" },
        { type: "discord", url_env: "DISCORD" },
        { type: "telegram", bot_token_env: "BOT", chat_id: "-1001", api_url: `${r.origin}/tg/` },
      ],
      { SLACK: `${r.origin}/services/T/B/x`, DISCORD: `${r.origin}/api/webhooks/1/y`, BOT },
    );
    for (const t of targets) expect((await deliver(t, event, fast)).ok).toBe(true);
    const text = "café: waiting (usage_limit) until 10:30 UTC\nlimit reached\nTODO: 1 done, 4 outstanding";
    const [slack, discord, telegram] = r.requests;
    expect(slack).toMatchObject({ method: "POST", url: "/services/T/B/x" });
    expect(JSON.parse(slack!.body)).toEqual({ text });
    expect(discord).toMatchObject({ method: "POST", url: "/api/webhooks/1/y" });
    expect(JSON.parse(discord!.body)).toEqual({ content: text, allowed_mentions: { parse: [] } });
    expect(telegram).toMatchObject({ method: "POST", url: `/tg/bot${BOT}/sendMessage` });
    expect(telegram!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(telegram!.body)).toEqual({ chat_id: "-1001", text });
  });

  it("retries 5xx with backoff until it works, and not a 4xx", async () => {
    const r = await receiver([500, 503, 200]);
    const [target] = resolved([{ type: "webhook", url: `${r.origin}/h` }], {});
    const result = await deliver(target!, event, fast);
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(r.requests).toHaveLength(3);

    const refusing = await receiver((_req, _n, res) => {
      res.writeHead(400, { "content-type": "application/json" }).end('{"ok":false,"error":"answer 400"}');
    });
    const [t2] = resolved([{ type: "webhook", url: `${refusing.origin}/h` }], {});
    const refused = await deliver(t2!, event, fast);
    expect(refused).toMatchObject({ ok: false, status: 400, attempts: 1 });
    expect(refused.error).toBe('HTTP 400: {"ok":false,"error":"answer 400"}');
    expect(refusing.requests).toHaveLength(1);
  });

  it("gives up after the attempts on a closed port or a silent receiver, with a redacted error", async () => {
    const port = await refusedPort();
    const [closed] = resolved(
      [{ type: "telegram", bot_token_env: "BOT", chat_id: "1", api_url: `http://127.0.0.1:${port}` }],
      { BOT },
    );
    const refused = await deliver(closed!, event, { timeoutMs: 500, attempts: 2, backoffMs: 10 });
    expect(refused).toMatchObject({ ok: false, status: null, attempts: 2 });
    expect(refused.error).toMatch(/ECONNREFUSED.*\(2 attempts\)$/);

    const silent = await receiver("hang");
    const [hung] = resolved([{ type: "webhook", url_env: "URL" }], {
      URL: `${silent.origin}/h?token=${SECRET}`,
    });
    const timedOut = await deliver(hung!, event, { timeoutMs: 150, attempts: 2, backoffMs: 10 });
    expect(timedOut).toMatchObject({ ok: false, status: null, attempts: 2 });
    expect(timedOut.error).toBe("no answer within 150 ms (2 attempts)");
    expect(silent.requests).toHaveLength(2);
  });

  it("redacts a secret the receiver echoes back", async () => {
    // A receiver that answers 401 quoting the request's path (which holds the bot token).
    const r = await receiver((req, _n, res) => {
      res.writeHead(401).end(`unauthorized: ${req.url} ${encodeURIComponent(BOT)}`);
    });
    const [t] = resolved([{ type: "telegram", bot_token_env: "BOT", chat_id: "1", api_url: r.origin }], {
      BOT,
    });
    const result = await deliver(t!, event, fast);
    expect(result.error).toBe("HTTP 401: unauthorized: /bot***/sendMessage ***");
    expect(JSON.stringify(result)).not.toContain("Secret-Bot_Token");
  });

  it("hides a URL's credentials when fetch refuses the URL", async () => {
    // resolveTargets refuses such a URL; deliver still never shows one it is handed.
    const t: ResolvedTarget = {
      type: "ntfy",
      label: "ntfy[0]",
      events: null,
      url: "http://me:pa55word@127.0.0.1:9/topic",
      token: null,
      secrets: [],
    };
    const result = await deliver(t, event, fast);
    expect(result).toMatchObject({ ok: false, status: null, attempts: 1 });
    expect(result.error).toMatch(/credentials: http:\/\/\*\*\*@127.0.0.1:9\/topic/);
    expect(result.error).not.toContain("pa55word");
  });

  it("does not follow a redirect (the request carries secrets for the configured host)", async () => {
    const elsewhere = await receiver();
    const r = await receiver((_req, _n, res) => {
      res.writeHead(307, { Location: `${elsewhere.origin}/steal` }).end();
    });
    const [t] = resolved([{ type: "ntfy", url: `${r.origin}/topic`, token_env: "T" }], { T: NTFY_TOKEN });
    const result = await deliver(t!, event, fast);
    expect(result).toMatchObject({
      ok: false,
      status: 307,
      attempts: 1,
      error: "HTTP 307: redirect not followed",
    });
    expect(elsewhere.requests).toHaveLength(0);
  });
});
