import { describe, expect, it } from "vitest";
import { redact } from "./redact.js";
import { resolveTargets } from "./resolve.js";
import { parseTargets as targets } from "./test-fixtures.js";

const BOT = "123456:AAbb-cc_DD";
const HOOK = "https://hooks.slack.test/services/T0/B0/XYZ";

describe("resolveTargets", () => {
  it("takes secrets from the environment and lists them for redaction", () => {
    const [webhook, ntfy, slack, telegram, literalSlack] = resolveTargets(
      targets([
        { type: "webhook", url: "https://x.test/h", secret_env: "SECRET" },
        { type: "ntfy", url_env: "NTFY_URL", token_env: "NTFY_TOKEN", events: ["waiting"] },
        { type: "slack", url_env: "SLACK_URL" },
        { type: "telegram", bot_token_env: "BOT", chat_id: "42", api_url: "http://127.0.0.1:9/" },
        { type: "slack", url: HOOK },
      ]),
      { SECRET: "s3cret", NTFY_URL: "https://n.test/topic", NTFY_TOKEN: "tk_1", SLACK_URL: HOOK, BOT },
    );
    expect(webhook).toEqual({
      ok: true,
      target: {
        type: "webhook",
        label: "webhook[0]",
        events: null,
        url: "https://x.test/h",
        secret: "s3cret",
        secrets: ["s3cret"],
      },
    });
    expect(ntfy).toMatchObject({
      ok: true,
      target: { url: "https://n.test/topic", token: "tk_1", events: ["waiting"] },
    });
    expect(ntfy?.ok && ntfy.target.secrets).toEqual(["https://n.test/topic", "tk_1"]);
    expect(slack?.ok && slack.target.secrets).toEqual([HOOK]);
    expect(telegram).toMatchObject({
      ok: true,
      target: { apiUrl: "http://127.0.0.1:9", botToken: BOT, chatId: "42" },
    });
    expect(literalSlack?.ok && literalSlack.target.secrets).toEqual([HOOK]);
  });

  it("names the target, key and variable of a missing or unusable secret, never the value", () => {
    const results = resolveTargets(
      targets([
        { type: "webhook", url: "https://x.test/h", secret_env: "CAR_WEBHOOK_SECRET" },
        { type: "discord", url_env: "DISCORD_URL" },
        { type: "telegram", bot_token_env: "BOT", chat_id: "1" },
      ]),
      { CAR_WEBHOOK_SECRET: "", DISCORD_URL: "not a url but secret-ish", BOT: "oops secret value" },
    );
    const messages = results.map((r) => (r.ok ? "ok" : r.error.message));
    expect(messages).toEqual([
      "environment variable CAR_WEBHOOK_SECRET (notify.targets[0].secret_env) is not set",
      "environment variable DISCORD_URL (notify.targets[1].url_env) is not an http:// or https:// URL",
      "environment variable BOT (notify.targets[2].bot_token_env) is not a bot token (<digits>:<letters>)",
    ]);
    const first = results[0];
    expect(first?.ok === false && first.error.code).toBe("CONFIG_INVALID");
    expect(first?.ok === false && first.error.details.key).toBe("notify.targets[0].secret_env");
    expect(JSON.stringify(results)).not.toMatch(/secret-ish|secret value/);
  });

  it("refuses a URL with user:password@ (fetch never sends it) and redacts a token in the query", () => {
    const [withUser, fromEnv, withQuery] = resolveTargets(
      targets([
        { type: "webhook", url: "https://user:pa55word@x.test/h" },
        { type: "ntfy", url_env: "NTFY_URL" },
        { type: "webhook", url: "https://x.test/h?token=abc&v=1#frag" },
      ]),
      { NTFY_URL: "https://me:pw@n.test/topic" },
    );
    expect(withUser?.ok === false && withUser.error.details.key).toBe("notify.targets[0].url");
    expect(fromEnv?.ok === false && fromEnv.error.details.key).toBe("notify.targets[1].url_env");
    expect(JSON.stringify([withUser, fromEnv])).not.toMatch(/pa55word|pw@/);
    if (!withQuery?.ok) throw new Error("expected the query URL to resolve");
    expect(withQuery.target.secrets).toEqual(["abc"]);
    // A receiver echoing the path it was sent to.
    expect(redact("HTTP 400: /h?token=abc", withQuery.target.secrets)).toBe("HTTP 400: /h?token=***");
  });
});
