import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createCodexAccumulator } from "./events.js";
import { classifyCodexFailure, parseDurationText, parseRetryAfter } from "./failure.js";

function failedMessage(name: string): string {
  const acc = createCodexAccumulator();
  for (const l of readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").split("\n"))
    acc.push(l);
  const msg = acc.summary().turnFailedMessage;
  if (msg === null) throw new Error(`${name} has no turn.failed`);
  return msg;
}

describe("classifyCodexFailure on messages recorded from codex 0.169", () => {
  it.each([
    ["http-500.jsonl", "transient"],
    ["dropped-stream.jsonl", "transient"],
    ["overloaded.jsonl", "transient"],
    ["rate-limit.jsonl", "rate_limit"],
    ["http-429.jsonl", "rate_limit"],
    ["usage-limit.jsonl", "rate_limit"],
    ["unauthorized.jsonl", "fatal"],
    ["unknown-model.jsonl", "fatal"],
  ])("%s → %s", (file, kind) => {
    expect(classifyCodexFailure(failedMessage(file)).kind).toBe(kind);
  });

  it("reads the wait from a rate-limit message", () => {
    expect(classifyCodexFailure(failedMessage("rate-limit.jsonl"))).toEqual({
      kind: "rate_limit",
      retryAfterMs: 11_054,
    });
  });

  it("turns a local clock time into the wait until its next occurrence", () => {
    const now = new Date(2026, 10, 25, 15, 48, 0);
    const msg = failedMessage("usage-limit.jsonl").replace(/at [\d:]+ [AP]M/, "at 4:48 PM");
    expect(classifyCodexFailure(msg, now)).toEqual({ kind: "rate_limit", retryAfterMs: 3_600_000 });
    // Already past today → tomorrow.
    expect(parseRetryAfter("try again at 3:00 PM.", now)).toBe((23 * 60 + 12) * 60_000);
  });
});

describe("classifyCodexFailure on other wordings", () => {
  it.each([
    ["stream disconnected before completion: error sending request for url", "transient"],
    ["unexpected status 503 Service Unavailable", "transient"],
    ["exceeded retry limit, last status: 502 Bad Gateway", "transient"],
    ["Request timed out", "transient"],
    ["exceeded retry limit, last status: 429 Too Many Requests", "rate_limit"],
    ["You exceeded your current quota, please check your plan and billing details", "fatal"],
    ["unexpected status 403 Forbidden: nope, url: http://127.0.0.1:5000/v1/responses", "fatal"],
    ["Error loading config.toml: unknown field `foo`", "fatal"],
    ["something nobody has seen before", "fatal"],
  ])("%s → %s", (msg, kind) => {
    expect(classifyCodexFailure(msg).kind).toBe(kind);
  });

  it("parses durations in several spellings", () => {
    expect(parseRetryAfter("Rate limit reached. Please try again in 1m 30s.")).toBe(90_000);
    expect(parseRetryAfter("usage limit; resets in 2 hours")).toBe(7_200_000);
    expect(parseRetryAfter("rate limited, retry after 20ms")).toBe(20);
    expect(parseRetryAfter("rate limited")).toBeUndefined();
    expect(parseDurationText("1h 2m and 3s")).toBe(3_723_000);
    expect(parseDurationText("soon")).toBeNull();
  });

  it("parses an absolute reset time", () => {
    const now = new Date("2026-11-25T15:00:00Z");
    expect(parseRetryAfter("usage limit, resets at 2026-11-25T16:30:00Z.", now)).toBe(90 * 60_000);
  });
});

describe("parseRetryAfter on the spellings a limit wait relies on", () => {
  const now = new Date(2026, 11, 4, 14, 0, 0); // local 2:00 PM, as codex prints local times

  it("reads compact durations whose units touch the next number", () => {
    expect(parseRetryAfter("usage limit, resets in 2h5m", now)).toBe((2 * 60 + 5) * 60_000);
    expect(parseDurationText("1h2m3s")).toBe(3_723_000);
    expect(parseDurationText("5mo")).toBeNull();
  });

  it("reads a clock time after 'resets' without 'at'", () => {
    expect(parseRetryAfter("5-hour limit reached · resets 3pm", now)).toBe(3_600_000);
    expect(parseRetryAfter("usage limit; resets 15:05 (local)", now)).toBe(65 * 60_000);
    expect(parseRetryAfter("rate limit resets 3 times a day", now)).toBeUndefined();
  });

  it.each([
    ["resets in 2h 5m", (2 * 60 + 5) * 60_000],
    ["You've hit your usage limit. Try again at 3:05 PM.", 65 * 60_000],
    ["try again in 2 days 3 hours 5 minutes.", (2 * 1440 + 3 * 60 + 5) * 60_000],
  ])("%s", (message, ms) => {
    expect(parseRetryAfter(message, now)).toBe(ms);
  });
});

// Recorded from codex 0.169 with request_max_retries=0 (apps/e2e/src/overnight): an HTTP 429 keeps
// its reset only as `usage_limit_reached` + `resets_at`, printed as a local clock time truncated to
// the minute; `resets_in_seconds`, `Retry-After` and the error's own message are dropped.
describe("classifyCodexFailure on what codex prints for an HTTP 429", () => {
  const now = new Date(2026, 11, 4, 23, 33, 46);

  it.each([
    "exceeded retry limit, last status: 429 Too Many Requests",
    "You’ve hit your usage limit. Try again later.",
  ])("%s → rate_limit without a reset", (message) => {
    expect(classifyCodexFailure(message, now)).toEqual({ kind: "rate_limit" });
  });

  it("waits for the end of the printed minute when the reset falls in the current minute", () => {
    // resets_at was 23:33:54; codex printed 11:33 PM at 23:33:46. Not tomorrow.
    expect(classifyCodexFailure("You’ve hit your usage limit. Try again at 11:33 PM.", now)).toEqual({
      kind: "rate_limit",
      retryAfterMs: 14_000,
    });
    const plan =
      "You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit " +
      "https://chatgpt.com/settings/usage to purchase more credits or try again at 11:34 PM.";
    expect(classifyCodexFailure(plan, now)).toEqual({ kind: "rate_limit", retryAfterMs: 14_000 });
  });

  it("still takes a minute already over as the next day's", () => {
    expect(parseRetryAfter("Try again at 11:32 PM.", now)).toBe(24 * 3_600_000 - 106_000);
  });

  it("treats a dated reset in the current minute the same way", () => {
    expect(parseRetryAfter("Try again at Dec 4th, 2026 11:33 PM.", now)).toBe(14_000);
  });
});
