import { describe, expect, it } from "vitest";
import { notifyEvent, sampleEvent, webhookBody } from "./event.js";
import { NOTIFY_EVENTS } from "./settings.js";

const repo = { name: "shop", path: "/home/u/shop" };

describe("webhookBody", () => {
  it("has the documented keys in order, absent parts as null", () => {
    const usage = {
      input_tokens: 10,
      cached_input_tokens: 2,
      output_tokens: 5,
      reasoning_output_tokens: 1,
      total_tokens: 15,
    };
    const e = notifyEvent({
      event: "loop_stopped",
      repo,
      run_id: 7,
      reason: "todo_done",
      todo: { outstanding: 0, done: 4 },
      usage,
      at: "2026-01-01T12:00:00.000Z",
    });
    expect(webhookBody(e)).toBe(
      JSON.stringify({
        event: "loop_stopped",
        repo: { name: "shop", path: "/home/u/shop" },
        run_id: 7,
        reason: "todo_done",
        message: null,
        todo: { done: 4, outstanding: 0 },
        usage,
        until: null,
        at: "2026-01-01T12:00:00.000Z",
        test: false,
      }),
    );
    expect(Object.keys(JSON.parse(webhookBody(notifyEvent({ event: "resumed", repo }))))).toEqual([
      "event",
      "repo",
      "run_id",
      "reason",
      "message",
      "todo",
      "usage",
      "until",
      "at",
      "test",
    ]);
  });
});

describe("sampleEvent", () => {
  it("makes a marked test event of each kind, with a resume time for waiting", () => {
    for (const name of NOTIFY_EVENTS) {
      const e = sampleEvent(name, repo, "2026-01-01T12:00:00.000Z");
      expect(e).toMatchObject({ event: name, repo, test: true, todo: { done: 3, outstanding: 2 } });
      expect(e.message).toMatch(/^Test notification from car notify test/);
    }
    expect(sampleEvent("waiting", repo, "2026-01-01T12:00:00.000Z").until).toBe("2026-01-01T13:00:00.000Z");
    expect(sampleEvent("needs_input", repo).message).toContain("Which database");
  });
});
