// The `notify:` settings: where the runner sends events (issue 13). NOTIFY_SECTION is written in the
// config spec's vocabulary (config/spec-types.ts) so config/spec.ts can take it as its `notify` section
// unchanged; the type below is derived from it and its default checked in settings.test.ts. Every key
// is `commented`: `car init` writes the section commented out (notifications are opt-in). What the
// vocabulary cannot say (url or url_env, event names) is checked by checkTargets (check.ts).
import type { ObjectOf, SectionSpec } from "../config/spec-types.js";

export const NOTIFY_EVENTS = [
  "loop_stopped",
  "run_failed",
  "run_finished",
  "waiting",
  "resumed",
  "needs_input",
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** A target without `events` gets every event except run_finished (one per run is too chatty). */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEventName[] = Object.freeze(
  NOTIFY_EVENTS.filter((e) => e !== "run_finished"),
);

export const NOTIFY_TARGET_TYPES = ["webhook", "ntfy", "slack", "discord", "telegram"] as const;
export type NotifyTargetType = (typeof NOTIFY_TARGET_TYPES)[number];

export const DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org";

/** POSIX-style variable names; 128 characters at most. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Only the scheme and a host are checked here; `new URL` judges the rest when the target is resolved. */
export const HTTP_URL_PATTERN = /^https?:\/\/[^\s/?#]+\S*$/;
export const HTTP_URL_EXPECTED = "an http:// or https:// URL";

// `secret`: a value rejected here may be a real secret pasted into the wrong key; errors describe it.
const envKey = (doc: string) =>
  ({
    type: "string",
    pattern: ENV_NAME_PATTERN,
    expected: "an environment variable name (letters, digits and _)",
    secret: true,
    nullable: true,
    default: null,
    doc,
  }) as const;

const urlKeys = (secretUrl: boolean) =>
  ({
    url: {
      type: "string",
      pattern: HTTP_URL_PATTERN,
      expected: HTTP_URL_EXPECTED,
      ...(secretUrl ? { secret: true } : {}),
      nullable: true,
      default: null,
      doc: secretUrl
        ? "the webhook URL (it is a secret: prefer `url_env`); set exactly one of `url` and `url_env`"
        : "the URL POSTed to; set exactly one of `url` and `url_env`",
    },
    url_env: envKey("the environment variable holding the URL (treated as a secret)"),
  }) as const;

const events = {
  type: "string-list",
  nullable: true,
  default: null,
  expected: `a list of events (${NOTIFY_EVENTS.join(", ")})`,
  doc: "the events this target gets; null: every event except `run_finished`",
} as const;

export const NOTIFY_SECTION = {
  doc: "Notifications: where the runner reports stops, failures, limit waits and questions.",
  hint:
    "Where the runner reports stops, failures, limit waits and questions. Secrets come only from the\n" +
    "environment (*_env keys). `car notify test` sends a test event to every target.",
  keys: {
    targets: {
      type: "object-list",
      tag: "type",
      variants: {
        webhook: {
          ...urlKeys(false),
          secret_env: envKey(
            "the environment variable holding the key of the body's HMAC-SHA256, sent as " +
              "`X-Car-Signature: sha256=<hex>`",
          ),
          events,
        },
        ntfy: {
          ...urlKeys(false),
          token_env: envKey("the environment variable holding an access token (`Authorization: Bearer`)"),
          events,
        },
        slack: { ...urlKeys(true), events },
        discord: { ...urlKeys(true), events },
        telegram: {
          bot_token_env: {
            type: "string",
            pattern: ENV_NAME_PATTERN,
            expected: "an environment variable name (letters, digits and _)",
            secret: true,
            doc: "the environment variable holding the bot's token",
          },
          chat_id: {
            type: "string",
            expected: 'a chat id as a string (quote numbers: "12345")',
            doc: "the chat the bot writes to (a number in quotes, or `@channelname`)",
          },
          api_url: {
            type: "string",
            pattern: HTTP_URL_PATTERN,
            expected: HTTP_URL_EXPECTED,
            default: DEFAULT_TELEGRAM_API_URL,
            doc: "the Bot API's base URL (messages go to `{api_url}/bot<token>/sendMessage`)",
          },
          events,
        },
      },
      default: [],
      commented: true,
      doc:
        "where events go: `webhook` (JSON), `ntfy`, `slack`, `discord` or `telegram`, each with its own " +
        "keys; every target may list its `events`",
      hint:
        "Events: loop_stopped, run_failed, run_finished, waiting, resumed, needs_input;\n" +
        "per target `events: [...]` (default: all but run_finished)",
      example: [
        { type: "webhook", url: "https://example.test/hook", secret_env: "CAR_WEBHOOK_SECRET" },
        { type: "ntfy", url: "https://ntfy.sh/my-topic", token_env: "NTFY_TOKEN" },
        { type: "slack", url_env: "SLACK_WEBHOOK_URL", events: ["loop_stopped", "needs_input"] },
        { type: "discord", url_env: "DISCORD_WEBHOOK_URL" },
        { type: "telegram", bot_token_env: "TELEGRAM_BOT_TOKEN", chat_id: "12345" },
      ],
    },
  },
} as const satisfies SectionSpec;

/** What the config parser returns for the section. */
export type NotifySettings = ObjectOf<(typeof NOTIFY_SECTION)["keys"]>;
export type NotifyTargetConfig = NotifySettings["targets"][number];

export const DEFAULT_NOTIFY_SETTINGS: Readonly<NotifySettings> = Object.freeze({ targets: [] });

/** Whether a target gets this event (its own `events`, else the default filter). */
export function wantsEvent(target: { events?: readonly string[] | null }, event: NotifyEventName): boolean {
  return (target.events ?? DEFAULT_NOTIFY_EVENTS).includes(event);
}

/** How a target is named in log lines, errors and results: its type and place in the list. */
export function targetLabel(type: string, index: number): string {
  return `${type}[${index}]`;
}
