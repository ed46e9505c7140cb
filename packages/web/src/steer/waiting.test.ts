import { emptyStateBody, type StateBody, stateBodySchema } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { clockTime, countdown, limitText, pendingQuestion, quietText } from "./waiting.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const live = { status: "running", running: true, runner_pid: 9, lock: { info: null, alive: true } } as const;
/** A state as the server sends it (checked against core's contract). */
const state = (patch: Partial<StateBody>): StateBody =>
  stateBodySchema.parse({ ...emptyStateBody("/repo"), ...live, ...patch });
const limit = {
  reason: "rate_limit",
  since: "2026-01-01T11:58:00Z",
  until: "2026-01-01T12:04:10Z",
  message: "usage limit reached",
} as const;

describe("countdown", () => {
  it("minutes:seconds, hours when needed, never negative", () => {
    expect(countdown(250_000)).toBe("4:10");
    expect(countdown(3_723_000)).toBe("1:02:03");
    expect(countdown(400)).toBe("0:01");
    expect(countdown(-5000)).toBe("0:00");
  });
});

describe("limitText", () => {
  it("a live runner's wait counts down to its local time", () => {
    const s = state({ status: "waiting", waiting: limit });
    expect(limitText(s, NOW)).toBe(`Usage limit — resumes in 4:10 (at ${clockTime(limit.until)})`);
    expect(limitText(s, Date.parse(limit.until) + 1)).toBe("Usage limit — resuming…");
  });

  it("a dead runner's leftover wait says Resume honours it; none once it is over or for a question", () => {
    const dead = state({ status: "error", running: false, runner_pid: null, waiting: limit });
    expect(limitText(dead, NOW)).toContain("Resume waits out the remaining 4:10");
    // A clock set back an hour: never more than the wait was long (core's remainingWait).
    expect(limitText(dead, NOW - 3_600_000)).toContain("Resume waits out the remaining 6:10");
    expect(limitText(dead, Date.parse(limit.until))).toBeNull();
    expect(limitText(state({ waiting: { ...limit, reason: "needs_input" } }), NOW)).toBeNull();
  });
});

describe("pendingQuestion", () => {
  it("the question while a live runner waits for input, else null", () => {
    const asking = state({
      status: "waiting_input",
      waiting: { ...limit, reason: "needs_input", message: "Postgres or SQLite?" },
    });
    expect(pendingQuestion(asking)).toBe("Postgres or SQLite?");
    expect(pendingQuestion(state({ status: "waiting_input" }))).toMatch(/needs a decision/);
    expect(pendingQuestion({ ...asking, running: false })).toBeNull();
    expect(pendingQuestion(state({ status: "waiting", waiting: limit }))).toBeNull();
    expect(pendingQuestion(null)).toBeNull();
  });
});

describe("quietText", () => {
  it("how long the run has been silent and its last command", () => {
    const quiet = { run_id: 3, since: "2026-01-01T11:56:48Z", last_command: "npm test" };
    expect(quietText(state({ quiet }), NOW)).toBe("quiet for 3m 12s · last command: npm test");
    expect(quietText(state({ quiet: { ...quiet, last_command: null } }), NOW)).toBe("quiet for 3m 12s");
    expect(quietText(state({ quiet: null }), NOW)).toBeNull();
  });
});
