import { describe, expect, it } from "vitest";
import { newRunRecord } from "../runs/record.js";
import type { RunRecord } from "../types.js";
import { NotifyTracker } from "./from-engine.js";

const repo = { name: "app", path: "/src/app" };
const at = new Date("2026-12-04T10:00:00Z");
const usage = {
  input_tokens: 10,
  cached_input_tokens: 0,
  output_tokens: 5,
  reasoning_output_tokens: 0,
  total_tokens: 15,
};

function ended(id: number, over: Partial<RunRecord>): RunRecord {
  return { ...newRunRecord({ id, todoBefore: { outstanding: 2, done: 0 }, backend: "codex-json" }), ...over };
}

describe("NotifyTracker", () => {
  it("turns a loop's events into notifications with TODO counts and the invocation's usage", () => {
    const t = new NotifyTracker(repo, () => at);
    expect(
      t.events({ type: "run.started", runId: 1, at: "", attempt: 1, todo: { outstanding: 2, done: 0 } }),
    ).toEqual([]);
    const ok = t.events({
      type: "run.ended",
      runId: 1,
      at: "",
      record: ended(1, { outcome: "completed", todo_after: { outstanding: 1, done: 1 }, usage }),
    });
    expect(ok.map((e) => e.event)).toEqual(["run_finished"]);
    const bad = t.events({
      type: "run.ended",
      runId: 2,
      at: "",
      record: ended(2, { outcome: "timed_out", error: "run timed out after 60s", usage }),
    });
    expect(bad.map((e) => [e.event, e.reason, e.message])).toEqual([
      ["run_failed", "timed_out", "run timed out after 60s"],
      ["run_finished", "timed_out", "run timed out after 60s"],
    ]);
    const [stopped] = t.events({ type: "loop.stopped", reason: "agent_failed", detail: "run timed out" });
    expect(stopped).toMatchObject({
      event: "loop_stopped",
      reason: "agent_failed",
      run_id: 1,
      todo: { outstanding: 2, done: 0 },
      usage: { total_tokens: 30 },
      at: at.toISOString(),
    });
  });

  it("says killed for a signalled runner, and nothing for a killed run on its own", () => {
    const t = new NotifyTracker(repo, () => at);
    const killedRun = t.events({
      type: "run.ended",
      runId: 1,
      at: "",
      record: ended(1, { outcome: "killed" }),
    });
    expect(killedRun.map((e) => e.event)).toEqual(["run_finished"]);
    const [stopped] = t.events({ type: "loop.stopped", reason: "aborted", detail: "killed by SIGTERM" });
    expect(stopped?.reason).toBe("killed");
  });

  it("maps waits: a limit to waiting (with until), a question to needs_input; resumed for both", () => {
    const t = new NotifyTracker(repo, () => at);
    const limit = {
      reason: "rate_limit" as const,
      until: "2026-12-04T11:00:00Z",
      since: "2026-12-04T10:00:00Z",
      message: "limit",
    };
    expect(t.events({ type: "waiting", runId: 3, waiting: limit })[0]).toMatchObject({
      event: "waiting",
      reason: "rate_limit",
      until: limit.until,
      run_id: 3,
    });
    const q = { ...limit, reason: "needs_input" as const, message: "Which DB?" };
    expect(t.events({ type: "waiting", runId: 4, waiting: q })[0]).toMatchObject({
      event: "needs_input",
      message: "Which DB?",
    });
    expect(t.events({ type: "resumed", runId: 4, reason: "needs_input" })[0]).toMatchObject({
      event: "resumed",
      reason: "needs_input",
    });
  });
});
