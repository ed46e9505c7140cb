import { describe, expect, it } from "vitest";
import { classifyCodexFailure } from "../codex/failure.js";
import { planLimitWait, resetAtFrom } from "./plan.js";

const now = new Date("2026-12-04T14:00:00Z");
const min = 60_000;

describe("planLimitWait", () => {
  it("waits until the reset time the message gave, even past the per-wait cap", () => {
    const resetAt = new Date(now.getTime() + 3 * 60 * min);
    expect(planLimitWait({ resetAt, now, attempt: 5, waitedSoFarMs: 0 })).toEqual({
      exhausted: false,
      waitMs: 3 * 60 * min,
      until: resetAt,
      source: "reset",
    });
  });

  it("backs off from baseSeconds, doubling, each wait capped at 30 minutes", () => {
    const waits = [0, 1, 2, 3, 4, 5, 6].map((attempt) => {
      const p = planLimitWait({ now, attempt, waitedSoFarMs: 0 });
      return p.exhausted ? null : p.waitMs / 1000;
    });
    expect(waits).toEqual([60, 120, 240, 480, 960, 1800, 1800]);
    const p = planLimitWait({ now, attempt: 0, baseSeconds: 5, waitedSoFarMs: 0 });
    expect(p).toEqual({
      exhausted: false,
      waitMs: 5000,
      until: new Date(now.getTime() + 5000),
      source: "backoff",
    });
  });

  it("falls back to backoff when the reset time is not in the future", () => {
    const p = planLimitWait({ resetAt: new Date(now.getTime() - 1000), now, attempt: 1, waitedSoFarMs: 0 });
    expect(p).toMatchObject({ exhausted: false, waitMs: 2 * min, source: "backoff" });
  });

  it("keeps the total within the budget: the last backoff is cut, then it is exhausted", () => {
    const budgetSeconds = 600;
    const cut = planLimitWait({ now, attempt: 4, budgetSeconds, waitedSoFarMs: 500_000 });
    expect(cut).toMatchObject({ exhausted: false, waitMs: 100_000 });
    expect(planLimitWait({ now, attempt: 5, budgetSeconds, waitedSoFarMs: 600_000 })).toEqual({
      exhausted: true,
      waitedMs: 600_000,
      budgetMs: 600_000,
    });
  });

  it("is exhausted when a known reset lies beyond the budget left", () => {
    const resetAt = new Date(now.getTime() + 13 * 60 * min); // default budget: 12 h
    expect(planLimitWait({ resetAt, now, attempt: 0, waitedSoFarMs: 0 }).exhausted).toBe(true);
    expect(planLimitWait({ resetAt, now, attempt: 0, waitedSoFarMs: 0, budgetSeconds: null }).exhausted).toBe(
      false,
    );
  });

  it("never runs out with budgetSeconds null", () => {
    const p = planLimitWait({ now, attempt: 40, budgetSeconds: null, waitedSoFarMs: 10 ** 12 });
    expect(p).toMatchObject({ exhausted: false, waitMs: 30 * min });
  });
});

describe("resetAtFrom", () => {
  it("turns a classified failure's retryAfterMs into the reset moment", () => {
    const at = new Date(2026, 11, 4, 14, 0, 0);
    const failure = classifyCodexFailure("You've hit your usage limit. Try again at 3:05 PM.", at);
    expect(resetAtFrom(failure.retryAfterMs, at)).toEqual(new Date(2026, 11, 4, 15, 5, 0));
    expect(resetAtFrom(classifyCodexFailure("429 Too Many Requests", at).retryAfterMs, at)).toBeNull();
    expect(resetAtFrom(-5, at)).toBeNull();
  });
});
