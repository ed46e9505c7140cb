/**
 * What a failed codex turn means for the loop: retry soon (transient), wait for a limit to reset
 * (rate_limit), or stop (fatal). Patterns come from what codex-cli 0.169 prints for each HTTP
 * outcome of the model endpoint (recorded in codex/fixtures): e.g. a 500 becomes "We’re currently
 * experiencing high demand…", a dropped SSE stream "stream disconnected before completion: …",
 * a 429 "exceeded retry limit, last status: 429 Too Many Requests", a ChatGPT usage limit
 * "You’ve hit your usage limit. … try again at 4:48 PM.".
 */

export type CodexFailureKind = "transient" | "rate_limit" | "fatal";

export interface CodexFailureClass {
  kind: CodexFailureKind;
  /** Rate limits only: how long until the limit resets, when the message says. */
  retryAfterMs?: number;
}

const RATE_LIMIT = [
  /rate[ _-]?limit/i,
  /usage limit/i,
  /too many requests/i,
  /\bstatus:? 429\b/i,
  /\b429 too many/i,
  /usage_limit_reached/i,
];

// Checked before the transient patterns: "401 Unauthorized ... url: http://host:500/" is still fatal.
const FATAL = [
  /\b40[0134]\b/,
  /unauthori[sz]ed/i,
  /forbidden/i,
  /api[ _-]?key/i,
  /not logged in|login required|authenticat/i,
  /does not exist|model_not_found|unknown model|unsupported model|model .*not (?:found|supported)/i,
  /insufficient_quota|exceeded your current quota/i,
  /invalid_request_error|bad request/i,
  /config(?:uration)?\.toml|error loading config|invalid config|unknown (?:variant|field)/i,
  /context (?:length|window) exceeded|context_length_exceeded/i,
];

const TRANSIENT = [
  /overloaded/i,
  /at capacity/i,
  /high demand/i,
  /temporar(?:y|ily)/i,
  /\b5\d\d\b/,
  /internal server error|bad gateway|service unavailable|gateway time-?out/i,
  /stream disconnected|disconnected before completion|stream closed|stream error|unexpected eof|\beof\b/i,
  /error sending request|connection (?:reset|refused|closed|error|aborted)|broken pipe|network error/i,
  /timed? ?out|timeout/i,
  /reconnecting/i,
  /stall(?:ed)?|idle/i,
  /server_error|server_is_overloaded|slow_down/i,
];

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** "1m 30s", "11.054s", "2 hours", "1h2m" → milliseconds; null when nothing parses. A unit ends at a
 * non-letter (not `\b`, which "2h5m" lacks between "h" and "5"). */
export function parseDurationText(text: string): number | null {
  const re =
    /(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![a-z])/gi;
  let total = 0;
  let matched = false;
  let lastEnd = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // Only a contiguous run of "<n><unit>" groups (separated by spaces, commas or "and").
    if (lastEnd >= 0 && !/^[\s,]*(?:and\s*)?$/i.test(text.slice(lastEnd, m.index))) break;
    const unit = UNIT_MS[(m[2] ?? "").toLowerCase()];
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    matched = true;
    lastEnd = m.index + m[0].length;
  }
  return matched ? Math.round(total) : null;
}

function parseClockTime(text: string, now: Date): number | null {
  const m = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?\b/i.exec(text.trim());
  if (!m || (m[2] === undefined && m[4] === undefined)) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  const second = Number(m[3] ?? 0);
  const ampm = m[4]?.toLowerCase();
  if (ampm === "pm" && hour < 12) hour += 12;
  if (ampm === "am" && hour === 12) hour = 0;
  if (hour > 23 || minute > 59 || second > 59) return null;
  // Codex formats the reset in the machine's local time; the next such moment is when it resets.
  const target = new Date(now.getTime());
  target.setHours(hour, minute, second, 0);
  const inMinute = untilMinuteEnds(target.getTime(), m[3] === undefined, now);
  if (inMinute !== null) return inMinute;
  if (target.getTime() <= now.getTime()) target.setDate(target.getDate() + 1);
  return target.getTime() - now.getTime();
}

/** Codex prints the reset truncated to the minute ("11:33 PM" for 23:33:54): while that minute is
 * still running the reset is at most its end, not tomorrow. */
function untilMinuteEnds(target: number, minutePrecision: boolean, now: Date): number | null {
  if (!minutePrecision) return null;
  const end = target + 60_000;
  return target <= now.getTime() && now.getTime() < end ? end - now.getTime() : null;
}

/** "at 4:48 PM", "at Nov 26th, 2026 4:48 PM", "at 2026-11-25T17:00:00Z" → ms from now. */
function parseResetAt(text: string, now: Date): number | null {
  const cleaned = text
    .trim()
    .replace(/[.;)]+$/, "")
    .replace(/(\d)(st|nd|rd|th)\b/gi, "$1");
  const clock = parseClockTime(cleaned, now);
  if (clock !== null) return clock;
  const t = Date.parse(cleaned);
  if (!Number.isFinite(t)) return null;
  if (t > now.getTime()) return t - now.getTime();
  // "Dec 5th, 2026 12:01 AM" is minute-truncated too; a time with seconds is exact.
  return untilMinuteEnds(t, !/\d:\d{2}:\d{2}/.test(cleaned), now);
}

/** The wait a rate-limit message announces, in ms; undefined when it gives none. */
export function parseRetryAfter(message: string, now: Date = new Date()): number | undefined {
  const inMatch =
    /(?:try again|retry|resets?|reset|available|wait)\w*\s+(?:in|after|for)\s+([^.;]*(?:\.\d+[^.;]*)?)/i.exec(
      message,
    );
  if (inMatch?.[1]) {
    const ms = parseDurationText(inMatch[1]);
    if (ms !== null) return ms;
  }
  const atMatch = /(?:try again|retry|resets?|reset|available)\w*\s+(?:at|on)\s+(.+?)(?:\.(?:\s|$)|$)/i.exec(
    message,
  );
  if (atMatch?.[1]) {
    const ms = parseResetAt(atMatch[1], now);
    if (ms !== null) return ms;
  }
  // "resets 3pm" / "resets 15:05" without "at": only a clock time, never free text.
  const bare = /\bresets?\s+(\d{1,2}(?::\d{2}){0,2}\s*(?:am|pm)?)(?![\w:])/i.exec(message);
  if (bare?.[1]) return parseClockTime(bare[1], now) ?? undefined;
  return undefined;
}

/** Classify a codex failure message (turn.failed / error event / stderr). `now` anchors "at 4:48 PM". */
export function classifyCodexFailure(message: string, now: Date = new Date()): CodexFailureClass {
  if (
    RATE_LIMIT.some((re) => re.test(message)) &&
    !/insufficient_quota|exceeded your current quota/i.test(message)
  ) {
    const retryAfterMs = parseRetryAfter(message, now);
    return retryAfterMs === undefined ? { kind: "rate_limit" } : { kind: "rate_limit", retryAfterMs };
  }
  if (FATAL.some((re) => re.test(message))) return { kind: "fatal" };
  if (TRANSIENT.some((re) => re.test(message))) return { kind: "transient" };
  return { kind: "fatal" };
}
