// The HTTP request each kind of target gets for an event. Pure: the Node side signs webhook bodies
// (X-Car-Signature) and sends.
import { type NotifyEvent, webhookBody } from "./event.js";
import { humanMessage, messageText } from "./message.js";
import type { ResolvedTarget } from "./resolve.js";

export interface NotifyRequest {
  method: "POST";
  url: string;
  headers: Record<string, string>;
  body: string;
}

export const USER_AGENT = "codex-autorunner-notify";

/** Discord refuses content over 2000 characters; the others allow more, so one cap for all. */
const TEXT_MAX_CHARS = 1900;

const JSON_HEADERS = { "Content-Type": "application/json", "User-Agent": USER_AGENT };

function clipText(text: string): string {
  return text.length > TEXT_MAX_CHARS ? `${text.slice(0, TEXT_MAX_CHARS - 1)}…` : text;
}

/** Slack reads `&`, `<` and `>` as markup (links, mentions); its docs ask for these three escapes. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function utf8Bytes(text: string): number[] {
  // encodeURIComponent is the one UTF-8 encoder in plain ECMAScript (lone surrogates made safe first).
  const escaped = encodeURIComponent(text.replace(LONE_SURROGATE, "\uFFFD"));
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === "%") {
      bytes.push(Number.parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(escaped.charCodeAt(i));
  }
  return bytes;
}

function base64(bytes: number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : "=";
    out += i + 2 < bytes.length ? B64[n & 63]! : "=";
  }
  return out;
}

/**
 * A header value: one line, and printable ASCII as is; anything else as an RFC 2047 encoded word
 * (`=?UTF-8?B?…?=`), which ntfy decodes (HTTP header values cannot carry raw UTF-8).
 */
export function headerValue(text: string): string {
  const line = text.replace(/[\r\n]+/g, " ").trim();
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${base64(utf8Bytes(line))}?=`;
}

export function formatRequest(target: ResolvedTarget, event: NotifyEvent): NotifyRequest {
  switch (target.type) {
    case "webhook":
      return {
        method: "POST",
        url: target.url,
        headers: { ...JSON_HEADERS, "X-Car-Event": event.event },
        body: webhookBody(event),
      };
    case "ntfy": {
      const m = humanMessage(event);
      const headers: Record<string, string> = {
        "Content-Type": "text/plain; charset=utf-8",
        "User-Agent": USER_AGENT,
        Title: headerValue(m.title),
        Tags: m.tags.join(","),
        Priority: String(m.priority),
      };
      if (target.token !== null) headers.Authorization = `Bearer ${target.token}`;
      // ntfy shows the body as the message and refuses an empty one, so the title stands in.
      return { method: "POST", url: target.url, headers, body: clipText(m.body || m.title) };
    }
    case "slack":
      return {
        method: "POST",
        url: target.url,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify({ text: slackEscape(clipText(messageText(humanMessage(event)))) }),
      };
    case "discord":
      return {
        method: "POST",
        url: target.url,
        headers: { ...JSON_HEADERS },
        // No pings: an agent's text could contain @everyone.
        body: JSON.stringify({
          content: clipText(messageText(humanMessage(event))),
          allowed_mentions: { parse: [] },
        }),
      };
    case "telegram":
      return {
        method: "POST",
        url: `${target.apiUrl}/bot${target.botToken}/sendMessage`,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify({ chat_id: target.chatId, text: clipText(messageText(humanMessage(event))) }),
      };
  }
}
