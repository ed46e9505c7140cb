import { load } from "js-yaml";
import { describe, expect, expectTypeOf, it } from "vitest";
import { deepMerge } from "../config/merge.js";
import { renderConfigReference } from "../config/reference.js";
import { buildConfigSchema } from "../config/schema.js";
import { checkConfigFast } from "../config/spec-check.js";
import { defaultsOf } from "../config/spec-read.js";
import { renderStarterConfig } from "../config/starter.js";
import {
  DEFAULT_NOTIFY_EVENTS,
  DEFAULT_NOTIFY_SETTINGS,
  DEFAULT_TELEGRAM_API_URL,
  NOTIFY_SECTION,
  type NotifySettings,
  wantsEvent,
} from "./settings.js";

// The section as the config's one definition will hold it, through the real spec kit.
const SPEC = { notify: NOTIFY_SECTION };
const schema = buildConfigSchema(SPEC);

function parse(notify: unknown): NotifySettings {
  return (schema.parse({ notify }) as { notify: NotifySettings }).notify;
}

function errors(notify: unknown): string[] {
  const r = schema.safeParse({ notify });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const ISSUE_EXAMPLE = {
  targets: [
    { type: "webhook", url: "https://example.test/hook", secret_env: "CAR_WEBHOOK_SECRET" },
    { type: "ntfy", url: "https://ntfy.example.test/my-topic", token_env: "NTFY_TOKEN" },
    { type: "slack", url_env: "SLACK_WEBHOOK_URL" },
    { type: "discord", url_env: "DISCORD_WEBHOOK_URL" },
    {
      type: "telegram",
      bot_token_env: "TELEGRAM_BOT_TOKEN",
      chat_id: "12345",
      api_url: "https://api.telegram.org",
    },
  ],
};

describe("NOTIFY_SECTION", () => {
  it("defaults to no targets", () => {
    expect(parse({})).toEqual(DEFAULT_NOTIFY_SETTINGS);
    expect(defaultsOf(SPEC).notify).toEqual(DEFAULT_NOTIFY_SETTINGS);
  });

  it("parses the issue's example, filling each type's defaults", () => {
    const settings = parse(ISSUE_EXAMPLE);
    expect(settings.targets).toEqual([
      {
        type: "webhook",
        url: "https://example.test/hook",
        url_env: null,
        secret_env: "CAR_WEBHOOK_SECRET",
        events: null,
      },
      {
        type: "ntfy",
        url: "https://ntfy.example.test/my-topic",
        url_env: null,
        token_env: "NTFY_TOKEN",
        events: null,
      },
      { type: "slack", url: null, url_env: "SLACK_WEBHOOK_URL", events: null },
      { type: "discord", url: null, url_env: "DISCORD_WEBHOOK_URL", events: null },
      {
        type: "telegram",
        bot_token_env: "TELEGRAM_BOT_TOKEN",
        chat_id: "12345",
        api_url: DEFAULT_TELEGRAM_API_URL,
        events: null,
      },
    ]);
    // Compile-time: items are narrowed by their type.
    const t = settings.targets[4]!;
    if (t.type === "telegram") expectTypeOf(t.chat_id).toEqualTypeOf<string>();
    if (t.type === "webhook") expectTypeOf(t.secret_env).toEqualTypeOf<string | null>();
    // The fast start-up path vouches for the same result.
    const merged = deepMerge(defaultsOf(SPEC), { notify: ISSUE_EXAMPLE });
    expect(checkConfigFast(SPEC, merged)).toEqual(schema.parse({ notify: ISSUE_EXAMPLE }));
  });

  it("refuses bad targets with the key and what was expected", () => {
    expect(errors({ targets: [{ url: "https://x.test" }] })).toEqual([
      "notify.targets.0.type: one of webhook, ntfy, slack, discord, telegram",
    ]);
    expect(errors({ targets: [{ type: "email", url: "https://x.test" }] })).toEqual([
      "notify.targets.0.type: one of webhook, ntfy, slack, discord, telegram",
    ]);
    expect(errors({ targets: [{ type: "telegram", bot_token_env: "T" }] })).toEqual([
      'notify.targets.0.chat_id: a chat id as a string (quote numbers: "12345")',
    ]);
    expect(errors({ targets: [{ type: "telegram", bot_token_env: "T", chat_id: 12345 }] })).toEqual([
      'notify.targets.0.chat_id: a chat id as a string (quote numbers: "12345")',
    ]);
    expect(errors({ targets: [{ type: "telegram", chat_id: "1" }] })).toEqual([
      "notify.targets.0.bot_token_env: an environment variable name (letters, digits and _)",
    ]);
    expect(errors({ targets: [{ type: "webhook", url: "ftp://x.test/hook" }] })).toEqual([
      "notify.targets.0.url: an http:// or https:// URL or null",
    ]);
    expect(errors({ targets: [{ type: "slack", url_env: "https://hooks.slack.test/T0/B0/x" }] })).toEqual([
      "notify.targets.0.url_env: an environment variable name (letters, digits and _) or null",
    ]);
    expect(errors({ targets: [{ type: "ntfy", url: "https://n.test/t", events: "waiting" }] })).toEqual([
      "notify.targets.0.events: a list of events (loop_stopped, run_failed, run_finished, waiting, resumed, needs_input) or null",
    ]);
  });

  it("is written commented out by the starter, with the example, and documented per type", () => {
    const starter = renderStarterConfig(SPEC);
    expect(starter).toMatch(/\nnotify:\n( {2}#.*\n)+ {2}# targets: \[\]\n$/);
    expect(starter).toContain("#   - {type: telegram, bot_token_env: TELEGRAM_BOT_TOKEN, chat_id: '12345'}");
    expect(load(starter)).toEqual({ version: 1, notify: null });
    const reference = renderConfigReference(SPEC);
    expect(reference).toContain("notify.targets");
    expect(reference).toMatch(
      /\| `notify\.targets\[\]\.bot_token_env` \| required \|.*\| \(type telegram\) /,
    );
    expect(reference).toContain(
      "a list of events (loop_stopped, run_failed, run_finished, waiting, resumed, needs_input) or null |",
    );
  });
});

describe("wantsEvent", () => {
  it("sends every event but run_finished by default; a target's own list wins", () => {
    expect(DEFAULT_NOTIFY_EVENTS).toEqual([
      "loop_stopped",
      "run_failed",
      "waiting",
      "resumed",
      "needs_input",
    ]);
    expect(wantsEvent({ events: null }, "loop_stopped")).toBe(true);
    expect(wantsEvent({}, "run_finished")).toBe(false);
    expect(wantsEvent({ events: ["run_finished"] }, "run_finished")).toBe(true);
    expect(wantsEvent({ events: ["run_finished"] }, "loop_stopped")).toBe(false);
  });
});
