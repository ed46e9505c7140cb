import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createClaudeAccumulator } from "./events.js";
import { classifyClaudeFailure } from "./failure.js";

const NOW = new Date("2026-12-05T08:00:00Z");

/** The classification of a recorded run's result, as the backend makes it. */
function classifyFixture(name: string) {
  const acc = createClaudeAccumulator();
  for (const l of readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").split("\n"))
    acc.push(l);
  const s = acc.summary();
  return classifyClaudeFailure(
    { status: s.api_error_status, text: s.error ?? "", apiError: s.api_error },
    NOW,
  );
}

describe("classifyClaudeFailure on recorded claude-code 2.1.332 failures", () => {
  it("429 is a rate limit, with the wait when the message names the reset", () => {
    expect(classifyFixture("http-429.jsonl")).toEqual({ kind: "rate_limit" });
    expect(classifyFixture("http-429-resets-at.jsonl")).toEqual({
      kind: "rate_limit",
      retryAfterMs: 3_600_000,
    });
  });

  it("529 overloaded and a dropped connection are transient; 401 is fatal", () => {
    expect(classifyFixture("http-529.jsonl")).toEqual({ kind: "transient" });
    expect(classifyFixture("dropped-stream.jsonl")).toEqual({ kind: "transient" });
    expect(classifyFixture("http-401.jsonl")).toEqual({ kind: "fatal" });
  });
});

describe("classifyClaudeFailure by status", () => {
  it("decides by the status before the text", () => {
    for (const status of [500, 502, 503, 529, 408, 409]) {
      expect(classifyClaudeFailure({ status, text: "Invalid API key" }).kind).toBe("transient");
    }
    for (const status of [400, 401, 403, 404, 413]) {
      expect(classifyClaudeFailure({ status, text: "overloaded, try again" }).kind).toBe("fatal");
    }
    expect(classifyClaudeFailure({ status: 429, text: "overloaded" }).kind).toBe("rate_limit");
  });

  it("without a status (or an unlisted one) reads the text as codex's messages are read", () => {
    expect(
      classifyClaudeFailure({ status: null, text: "API Error: Connection to the API was lost" }).kind,
    ).toBe("transient");
    expect(classifyClaudeFailure({ status: null, text: "x", apiError: "connection_failed" }).kind).toBe(
      "transient",
    );
    expect(
      classifyClaudeFailure({ status: null, text: "Claude usage limit reached; resets in 2h" }, NOW),
    ).toEqual({ kind: "rate_limit", retryAfterMs: 7_200_000 });
    expect(classifyClaudeFailure({ status: 422, text: "bad request" }).kind).toBe("fatal");
    expect(classifyClaudeFailure({ status: null, text: "error_max_turns" }).kind).toBe("fatal");
  });
});
