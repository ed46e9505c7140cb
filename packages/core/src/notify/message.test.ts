import { describe, expect, it } from "vitest";
import { notifyEvent } from "./event.js";
import { formatResumeTime, humanMessage, MESSAGE_MAX_CHARS, messageText } from "./message.js";

const repo = { name: "shop", path: "/p/shop" };
const at = "2026-01-01T12:00:00.000Z";

describe("humanMessage", () => {
  it("says what happened, to which repo, with the TODO counts", () => {
    const m = humanMessage(
      notifyEvent({
        event: "loop_stopped",
        repo,
        reason: "no_progress",
        message: "3 runs without changes",
        todo: { done: 2, outstanding: 5 },
        at,
      }),
    );
    expect(m).toEqual({
      title: "shop: loop stopped (no_progress)",
      body: "3 runs without changes\nTODO: 2 done, 5 outstanding",
      tags: ["stop_sign"],
      priority: 4,
    });
    const done = humanMessage(notifyEvent({ event: "loop_stopped", repo, reason: "todo_done", at }));
    expect(done).toMatchObject({
      title: "shop: done: every TODO item is ticked",
      tags: ["white_check_mark"],
    });
    expect(done.priority).toBe(3);
  });

  it("gives the resume time of a wait and the question of needs_input", () => {
    const waiting = humanMessage(
      notifyEvent({ event: "waiting", repo, reason: "usage_limit", until: "2026-01-01T14:05:00Z", at }),
    );
    expect(waiting.title).toBe("shop: waiting (usage_limit) until 14:05 UTC");
    const ask = humanMessage(
      notifyEvent({ event: "needs_input", repo, run_id: 9, message: "Postgres or SQLite?", at, test: true }),
    );
    expect(messageText(ask)).toBe(
      '[test] shop: run 9 needs your input\nPostgres or SQLite?\nAnswer with: car steer "<answer>"',
    );
    expect(ask.priority).toBe(4);
    const failed = humanMessage(notifyEvent({ event: "run_failed", repo, run_id: 3, reason: "stalled", at }));
    expect(messageText(failed)).toBe("shop: run 3 failed (stalled)");
  });

  it("keeps a long message short", () => {
    const m = humanMessage(notifyEvent({ event: "needs_input", repo, message: "x".repeat(5000), at }));
    expect(m.body.split("\n")[0]).toHaveLength(MESSAGE_MAX_CHARS);
    expect(m.body.split("\n")[0]?.endsWith("…")).toBe(true);
  });
});

describe("formatResumeTime", () => {
  it("shows the time today, the date too on another day, the text when unparsable", () => {
    expect(formatResumeTime("2026-01-01T14:05:59Z", at)).toBe("14:05 UTC");
    expect(formatResumeTime("2026-01-02T01:00:00Z", at)).toBe("2026-01-02 01:00 UTC");
    expect(formatResumeTime("soon", at)).toBe("soon");
  });
});
