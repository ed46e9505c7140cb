/**
 * What the real codex (0.169, request_max_retries=0 and stream_max_retries=0) prints when the model
 * endpoint rate-limits it, and how car reads that: every 429 is a rate limit; a reset time survives
 * only as `usage_limit_reached` + `resets_at` (a local clock time, truncated to the minute) or in a
 * stream's `response.failed` message; `Retry-After` and the 429 body's own text are dropped.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { classifyCodexFailure } from "@codex-autorunner/core";
import {
  type CodexExecResult,
  type ModelStep,
  makeCodexHome,
  makeTempRepo,
  rateLimited,
  rateLimitedFor,
  runCodexExec,
  startModelServer,
  usageLimited,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";

async function execAgainst(step: ModelStep): Promise<CodexExecResult & { requests: number }> {
  const server = await startModelServer({ script: () => step });
  const home = makeCodexHome();
  const repo = makeTempRepo({ prefix: "car-codex-429-" });
  try {
    const r = await runCodexExec({ server, cwd: repo.root, prompt: "hi", codexHome: home });
    return { ...r, requests: server.requests.length };
  } finally {
    await server.close();
    home.cleanup();
    repo.cleanup();
  }
}

/** The turn.failed message (what car classifies), checked against the error event before it. */
function failure(r: CodexExecResult): string {
  const failed = r.events.find((e) => e.type === "turn.failed") as { error: { message: string } } | undefined;
  const message = failed?.error.message ?? "";
  expect(r.events.filter((e) => e.type === "error").map((e) => e.message)).toEqual([message]);
  return message;
}

describe("codex's output for a rate-limited model endpoint", () => {
  it("a plain 429 (even with Retry-After): one request, no reset time, classified rate_limit", async () => {
    const r = await execAgainst(rateLimited({ "retry-after": "8" }));
    expect(r.code).toBe(1);
    expect(r.requests).toBe(1);
    const message = failure(r);
    expect(message).toBe("exceeded retry limit, last status: 429 Too Many Requests");
    expect(r.stderr).not.toMatch(/429|retry/i);
    expect(classifyCodexFailure(message)).toEqual({ kind: "rate_limit" });
  });

  it("usage_limit_reached without resets_at: 'Try again later.', no reset time", async () => {
    const r = await execAgainst(usageLimited());
    expect(r.requests).toBe(1);
    const message = failure(r);
    expect(message).toBe("You’ve hit your usage limit. Try again later.");
    expect(classifyCodexFailure(message)).toEqual({ kind: "rate_limit" });
  });

  it("usage_limit_reached with resets_at 8 s away: the minute, truncated; car waits to its end, not tomorrow", async () => {
    // Keep the reset and the reading inside one minute, the case a whole-day misreading would hit.
    if (new Date().getSeconds() >= 50) await sleep(60_100 - (Date.now() % 60_000));
    const resetsAt = new Date(Date.now() + 8_000);
    const r = await execAgainst(usageLimited(resetsAt));
    const readAt = new Date();
    const message = failure(r);
    const hh = resetsAt.getHours() % 12 || 12;
    const mm = String(resetsAt.getMinutes()).padStart(2, "0");
    const ampm = resetsAt.getHours() < 12 ? "AM" : "PM";
    expect(message).toBe(`You’ve hit your usage limit. Try again at ${hh}:${mm} ${ampm}.`);
    const minuteEnd = new Date(resetsAt);
    minuteEnd.setSeconds(60, 0);
    expect(classifyCodexFailure(message, readAt)).toEqual({
      kind: "rate_limit",
      retryAfterMs: minuteEnd.getTime() - readAt.getTime(),
    });
  });

  it("a stream that fails with rate_limit_exceeded keeps the exact wait", async () => {
    const r = await execAgainst(rateLimitedFor(8));
    expect(r.requests).toBe(1);
    const message = failure(r);
    expect(message).toBe("rate limit exceeded: Rate limit reached for gpt. Please try again in 8s.");
    expect(classifyCodexFailure(message)).toEqual({ kind: "rate_limit", retryAfterMs: 8_000 });
  });
});
