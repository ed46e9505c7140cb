import { describe, expect, it } from "vitest";
import { NEEDS_INPUT_MAX_CHARS } from "../steer/needs-input.js";
import { newWaiting, parseWaiting, remainingWait, WAITING_MESSAGE_MAX_CHARS } from "./waiting.js";

describe("newWaiting", () => {
  it("records whole seconds, never shortening the wait", () => {
    const w = newWaiting({
      since: new Date("2026-12-04T14:00:00.900Z"),
      until: new Date("2026-12-04T14:05:00.100Z"),
      message: "  usage limit  ",
    });
    expect(w).toEqual({
      reason: "rate_limit",
      since: "2026-12-04T14:00:00Z",
      until: "2026-12-04T14:05:01Z",
      message: "usage limit",
    });
  });

  it("bounds the message and leaves out an empty one", () => {
    const long = newWaiting({ since: new Date(0), until: new Date(1000), message: "x".repeat(5000) });
    expect(long.message).toHaveLength(WAITING_MESSAGE_MAX_CHARS);
    expect("message" in newWaiting({ since: new Date(0), until: new Date(1000), message: "" })).toBe(false);
    // A question keeps all findNeedsInput kept.
    const question = "q".repeat(NEEDS_INPUT_MAX_CHARS);
    expect(
      newWaiting({ reason: "needs_input", since: new Date(0), until: new Date(1000), message: question })
        .message,
    ).toBe(question);
  });
});

describe("parseWaiting", () => {
  it("reads what newWaiting wrote", () => {
    const w = newWaiting({ since: new Date(0), until: new Date(60_000) });
    expect(parseWaiting(JSON.parse(JSON.stringify(w)))).toEqual(w);
  });

  it("reads the earlier {until, message} shape", () => {
    expect(parseWaiting({ until: "2026-12-04T14:05:00Z", message: "limit" })).toEqual({
      reason: "rate_limit",
      until: "2026-12-04T14:05:00Z",
      since: "2026-12-04T14:05:00Z",
      message: "limit",
    });
  });

  it.each([null, undefined, "soon", [], {}, { until: "never" }])("%j → null", (v) => {
    expect(parseWaiting(v)).toBeNull();
  });
});

describe("remainingWait", () => {
  const w = { reason: "rate_limit" as const, since: "2026-12-04T14:00:00Z", until: "2026-12-04T14:10:00Z" };

  it("is what is left of the wait at resume", () => {
    expect(remainingWait(w, new Date("2026-12-04T14:07:30Z"))).toBe(150_000);
    expect(remainingWait(w, new Date("2026-12-04T14:10:00Z"))).toBe(0);
    expect(remainingWait(w, new Date("2026-12-04T15:00:00Z"))).toBe(0);
    expect(remainingWait(null, new Date())).toBe(0);
  });

  it("never exceeds the wait's own length when the clock went back", () => {
    expect(remainingWait(w, new Date("2026-12-04T13:00:00Z"))).toBe(600_000);
  });

  it("trusts until alone for a legacy record", () => {
    const legacy = parseWaiting({ until: "2026-12-04T14:10:00Z", message: "m" });
    expect(remainingWait(legacy, new Date("2026-12-04T14:00:00Z"))).toBe(600_000);
  });
});
