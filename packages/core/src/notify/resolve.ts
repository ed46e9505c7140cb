// A configured target plus its secrets from the environment: everything needed to send to it. The
// environment is passed in (node/notify/ passes process.env), so the rules stay pure and testable.
import { CarError } from "../errors.js";
import { HTTP_URL_EXPECTED, HTTP_URL_PATTERN, type NotifyTargetConfig, targetLabel } from "./settings.js";

interface Common {
  /** `slack[2]`: the type and the index in notify.targets. */
  label: string;
  events: readonly string[] | null;
  /** Every secret value of this target, for redact(): never shown anywhere. */
  secrets: string[];
}

export type ResolvedTarget = Common &
  (
    | { type: "webhook"; url: string; secret: string | null }
    | { type: "ntfy"; url: string; token: string | null }
    | { type: "slack" | "discord"; url: string }
    | { type: "telegram"; apiUrl: string; botToken: string; chatId: string }
  );

export type Env = Readonly<Record<string, string | undefined>>;

export type ResolveResult =
  | { ok: true; target: ResolvedTarget }
  | { ok: false; label: string; error: CarError };

/** Telegram bot tokens are "<digits>:<letters, digits, _ and ->"; anything else would bend the URL. */
const BOT_TOKEN_PATTERN = /^[0-9]+:[A-Za-z0-9_-]+$/;

/** Reads one `*_env` variable: an empty value counts as unset; the value never appears in errors. */
function fromEnv(env: Env, index: number, key: string, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new CarError(
      "CONFIG_INVALID",
      `environment variable ${name} (notify.targets[${index}].${key}) is not set`,
      {
        key: `notify.targets[${index}].${key}`,
        expected: `${name} set in the environment`,
        found: "not set",
      },
    );
  }
  return value;
}

function badValue(index: number, key: string, name: string, expected: string): CarError {
  return new CarError(
    "CONFIG_INVALID",
    `environment variable ${name} (notify.targets[${index}].${key}) is not ${expected}`,
    {
      key: `notify.targets[${index}].${key}`,
      expected: `${name} holding ${expected}`,
      found: "another value",
    },
  );
}

function resolveOne(t: NotifyTargetConfig, index: number, env: Env): ResolvedTarget {
  const label = targetLabel(t.type, index);
  const events = t.events ?? null;
  const get = (key: string, name: string) => fromEnv(env, index, key, name);
  if (t.type === "telegram") {
    const botToken = get("bot_token_env", t.bot_token_env);
    if (!BOT_TOKEN_PATTERN.test(botToken)) {
      throw badValue(index, "bot_token_env", t.bot_token_env, "a bot token (<digits>:<letters>)");
    }
    const apiUrl = t.api_url.replace(/\/+$/, "");
    return { type: "telegram", label, events, apiUrl, botToken, chatId: t.chat_id, secrets: [botToken] };
  }
  const secrets: string[] = [];
  let url: string;
  if (t.url_env != null) {
    url = get("url_env", t.url_env);
    if (!HTTP_URL_PATTERN.test(url)) throw badValue(index, "url_env", t.url_env, HTTP_URL_EXPECTED);
    secrets.push(url);
  } else if (t.url != null) {
    url = t.url;
    // A Slack or Discord webhook URL is its own credential, even when written in config.yml.
    if (t.type === "slack" || t.type === "discord") secrets.push(url);
  } else {
    throw new CarError("CONFIG_INVALID", `needs url or url_env`, {
      key: `notify.targets[${index}].url`,
      expected: "a URL in url, or the name of a variable holding it in url_env",
      found: "nothing",
    });
  }
  if (URL_USERINFO.test(url)) {
    // fetch refuses such a URL, so every delivery would fail: say so once, here (never the value).
    const key = t.url_env != null ? "url_env" : "url";
    throw new CarError(
      "CONFIG_INVALID",
      `the URL (notify.targets[${index}].${key}) has user:password@ in it, which cannot be sent`,
      {
        key: `notify.targets[${index}].${key}`,
        expected: "a URL without user:password@ (a token in its path or query works)",
        found: "a URL with credentials",
      },
    );
  }
  // A token in the query (`?token=…`) must not show in an error that quotes the URL or its path.
  secrets.push(...queryValues(url));
  switch (t.type) {
    case "webhook": {
      const secret = t.secret_env != null ? get("secret_env", t.secret_env) : null;
      if (secret !== null) secrets.push(secret);
      return { type: "webhook", label, events, url, secret, secrets };
    }
    case "ntfy": {
      const token = t.token_env != null ? get("token_env", t.token_env) : null;
      if (token !== null) secrets.push(token);
      return { type: "ntfy", label, events, url, token, secrets };
    }
    default:
      return { type: t.type, label, events, url, secrets };
  }
}

const URL_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/** The values in a URL's query (`?token=abc&v=1` → abc), shorter than 3 characters left out. */
function queryValues(url: string): string[] {
  const q = url.indexOf("?");
  if (q === -1) return [];
  const query = url.slice(q + 1).split("#")[0] ?? "";
  return query
    .split("&")
    .map((pair) => pair.slice(pair.indexOf("=") + 1))
    .filter((v, i, all) => v.length >= 3 && all.indexOf(v) === i);
}

/** Each target resolved, or the specific error that keeps it from being used (in config order). */
export function resolveTargets(targets: readonly NotifyTargetConfig[], env: Env): ResolveResult[] {
  return targets.map((t, i) => {
    try {
      return { ok: true, target: resolveOne(t, i, env) };
    } catch (err) {
      if (err instanceof CarError) return { ok: false, label: targetLabel(t.type, i), error: err };
      throw err;
    }
  });
}
