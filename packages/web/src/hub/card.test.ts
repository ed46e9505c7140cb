import { describe, expect, it } from "vitest";
import { cardView, progress } from "./card.js";
import { hubRepo } from "./test-support.js";

const usage = (total: number) => ({
  input_tokens: total - 100,
  cached_input_tokens: 0,
  output_tokens: 100,
  reasoning_output_tokens: 0,
  total_tokens: total,
});

describe("progress", () => {
  it("is done of done + outstanding, rounded, and 0% for an empty TODO", () => {
    expect(progress(1, 3)).toEqual({ done: 1, total: 4, pct: 25 });
    expect(progress(2, 1)).toEqual({ done: 2, total: 3, pct: 67 });
    expect(progress(0, 0)).toEqual({ done: 0, total: 0, pct: 0 });
  });

  it("is null when the hub could not count the TODO", () => {
    expect(progress(null, 2)).toBeNull();
    expect(progress(1, null)).toBeNull();
  });
});

describe("cardView", () => {
  it("is titled by the repo's path under the hub's root, else by its folder's name", () => {
    expect(cardView(hubRepo(), "/hub").title).toBe("services/api");
    expect(cardView(hubRepo(), "/hub/").title).toBe("services/api");
    expect(cardView(hubRepo({ path: "/elsewhere/api" }), "/hub").title).toBe("api");
    expect(cardView(hubRepo({ path: "/hubby/api" }), "/hub").title).toBe("api");
    expect(cardView(hubRepo()).title).toBe("api");
  });

  it("an idle repo: startable, not stoppable, its last run and tokens", () => {
    const v = cardView(
      hubRepo({
        last_run: { id: 3, exit_code: 0, finished_at: "2020-01-02T03:04:05Z" },
        tokens: { last_run: usage(1000), total: usage(12_345) },
      }),
    );
    expect(v.badge.label).toBe("idle");
    expect([v.canStart, v.canStop, v.stopLabel]).toEqual([true, false, "Stop"]);
    expect(v.progress).toEqual({ done: 1, total: 4, pct: 25 });
    expect(v.lastRun).toMatch(/^#3 · exit 0 · 2020-01-0\d \d\d:\d\d:05$/);
    expect(v.tokens).toBe("12k tokens");
    expect(v.detail).toBeNull();
  });

  it("a running repo: stoppable, its run in progress", () => {
    const v = cardView(
      hubRepo({
        status: "running",
        running: true,
        runner_pid: 42,
        last_run: { id: 4, exit_code: null, finished_at: null },
      }),
    );
    expect([v.badge.label, v.badge.tone, v.canStart, v.canStop]).toEqual(["running", "running", false, true]);
    expect(v.lastRun).toBe("#4 · in progress");
    expect(cardView(hubRepo()).lastRun).toBe("no runs yet");
    expect(cardView(hubRepo({ tokens: { last_run: null, total: null } })).tokens).toBeNull();
  });

  it("a queued start: its place in the queue, and Stop becomes Cancel", () => {
    const v = cardView(
      hubRepo({ status: "queued", queued: { since: "2020-01-02T03:04:05Z", once: false, position: 2 } }),
    );
    expect([v.badge.label, v.canStart, v.canStop, v.stopLabel]).toEqual(["queued", false, true, "Cancel"]);
    expect(v.detail?.text).toMatch(/^#2 in queue since /);
    expect(v.badge.title).toContain("#2 in the hub's queue");
  });

  it("a usage-limit wait says until when; a question says so", () => {
    const until = "2020-01-02T14:05:00Z";
    const d = new Date(until);
    const clock = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const waiting = cardView(
      hubRepo({ status: "waiting", running: true, waiting: { reason: "rate_limit", until } }),
    );
    expect(waiting.badge.label).toBe("waiting");
    expect(waiting.detail).toEqual({ text: `Usage limit: waiting until ${clock}`, tone: "warn" });
    const asking = cardView(
      hubRepo({ status: "waiting_input", running: true, waiting: { reason: "needs_input", until } }),
    );
    expect([asking.badge.label, asking.detail?.text]).toEqual(["needs input", "The agent asked a question"]);
  });

  it("a missing, uninitialised or broken repo shows its error and cannot be started", () => {
    for (const [status, label] of [
      ["missing", "missing"],
      ["uninitialised", "uninitialised"],
      ["config_error", "config error"],
    ] as const) {
      const error = `${status}: config.yml: runner.sleep_seconds: expected a number`;
      const v = cardView(hubRepo({ status, error, outstanding_count: null, done_count: null }));
      expect([v.badge.label, v.detail, v.canStart, v.canStop, v.progress]).toEqual([
        label,
        { text: error, tone: status === "uninitialised" ? "warn" : "error" },
        false,
        false,
        null,
      ]);
    }
    expect(cardView(hubRepo({ status: "missing" })).detail?.text).toBe("The repo's folder is gone");
  });

  it("a failed last run shows why, and can be started again", () => {
    const v = cardView(hubRepo({ status: "error", error: "agent exited 2" }));
    expect([v.badge.label, v.detail?.text, v.canStart]).toEqual(["error", "agent exited 2", true]);
  });
});
