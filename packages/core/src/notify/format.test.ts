import { describe, expect, it } from "vitest";
import { notifyEvent, webhookBody } from "./event.js";
import { formatRequest, headerValue, slackEscape, USER_AGENT } from "./format.js";
import type { ResolvedTarget } from "./resolve.js";

const event = notifyEvent({
  event: "needs_input",
  repo: { name: "shop", path: "/p/shop" },
  run_id: 4,
  message: "Use <Postgres> & migrations? @everyone",
  todo: { done: 1, outstanding: 2 },
  at: "2026-01-01T12:00:00.000Z",
});
const common = { events: null, secrets: [] };
const TEXT =
  'shop: run 4 needs your input\nUse <Postgres> & migrations? @everyone\nAnswer with: car steer "<answer>"\n' +
  "TODO: 1 done, 2 outstanding";

describe("formatRequest", () => {
  it("webhook: the JSON body with X-Car-Event", () => {
    const t: ResolvedTarget = {
      ...common,
      type: "webhook",
      label: "webhook[0]",
      url: "http://h/x",
      secret: "s",
    };
    expect(formatRequest(t, event)).toEqual({
      method: "POST",
      url: "http://h/x",
      headers: { "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Car-Event": "needs_input" },
      body: webhookBody(event),
    });
  });

  it("ntfy: the text as body, Title/Tags/Priority headers, the token as Bearer", () => {
    const t: ResolvedTarget = {
      ...common,
      type: "ntfy",
      label: "ntfy[0]",
      url: "http://n/topic",
      token: "tk",
    };
    const req = formatRequest(t, event);
    expect(req.url).toBe("http://n/topic");
    expect(req.headers).toMatchObject({
      Title: "shop: run 4 needs your input",
      Tags: "question",
      Priority: "4",
      Authorization: "Bearer tk",
    });
    expect(req.body).toBe(TEXT.slice(TEXT.indexOf("\n") + 1));
    const noToken = formatRequest({ ...t, token: null }, event);
    expect(noToken.headers).not.toHaveProperty("Authorization");
  });

  it("slack {text} escaped, discord {content} without pings, telegram {chat_id, text} at /bot<token>/sendMessage", () => {
    const slack = formatRequest({ ...common, type: "slack", label: "slack[0]", url: "http://s/h" }, event);
    expect(JSON.parse(slack.body)).toEqual({ text: slackEscape(TEXT) });
    expect(slack.body).toContain("&lt;Postgres&gt; &amp; migrations");
    const discord = formatRequest(
      { ...common, type: "discord", label: "discord[0]", url: "http://d/h" },
      event,
    );
    expect(JSON.parse(discord.body)).toEqual({ content: TEXT, allowed_mentions: { parse: [] } });
    const telegram = formatRequest(
      {
        ...common,
        type: "telegram",
        label: "telegram[0]",
        apiUrl: "http://t",
        botToken: "1:abc",
        chatId: "-100",
      },
      event,
    );
    expect(telegram).toMatchObject({ method: "POST", url: "http://t/bot1:abc/sendMessage" });
    expect(telegram.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(telegram.body)).toEqual({ chat_id: "-100", text: TEXT });
  });

  it("keeps chat messages under Discord's 2000 characters", () => {
    const long = notifyEvent({ ...event, message: "word ".repeat(2000) });
    const discord = formatRequest({ ...common, type: "discord", label: "d", url: "http://d" }, long);
    expect((JSON.parse(discord.body) as { content: string }).content.length).toBeLessThanOrEqual(2000);
  });
});

describe("headerValue", () => {
  it("passes printable ASCII, encodes anything else as an RFC 2047 word, one line", () => {
    expect(headerValue("shop: done")).toBe("shop: done");
    expect(headerValue("a\r\nb")).toBe("a b");
    const encoded = headerValue("café ✓ 😀");
    expect(encoded).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    const b64 = encoded.slice("=?UTF-8?B?".length, -2);
    expect(Buffer.from(b64, "base64").toString("utf8")).toBe("café ✓ 😀");
    for (const s of ["é", "éé", "ééé", "\ud800x"]) {
      const v = headerValue(s).slice(10, -2);
      expect(Buffer.from(v, "base64").toString("utf8")).toBe(s.replace("\ud800", "\ufffd"));
    }
  });
});
