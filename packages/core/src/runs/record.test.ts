import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import {
  finishRunRecord,
  interruptRunRecord,
  newRunRecord,
  parseRunRecord,
  serializeRunRecord,
} from "./record.js";

const FILE = ".codex-autorunner/runs/3.json";

describe("run records", () => {
  const started = newRunRecord({
    id: 3,
    startedAt: "2026-01-01T00:00:00Z",
    todoBefore: { outstanding: 2, done: 1 },
    backend: "codex-json",
  });

  it("starts open with nulls and empty lists", () => {
    expect(started).toMatchObject({
      id: 3,
      finished_at: null,
      outcome: null,
      attempts: 1,
      commands: [],
      usage: null,
    });
  });

  it("finishes with exit code, counts, summary and a derived duration", () => {
    const usage = {
      input_tokens: 10,
      cached_input_tokens: 2,
      output_tokens: 5,
      reasoning_output_tokens: 1,
      total_tokens: 15,
    };
    const done = finishRunRecord(started, {
      finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 42)),
      exitCode: 0,
      outcome: "completed",
      todoAfter: { outstanding: 1, done: 2 },
      summary: {
        thread_id: "t1",
        final_message: "ticked item",
        usage,
        commands: [{ command: "ls", exit_code: 0 }],
      },
    });
    expect(done).toMatchObject({
      finished_at: "2026-01-01T00:00:42Z",
      duration_ms: 42_000,
      exit_code: 0,
      signal: null,
      outcome: "completed",
      todo_after: { outstanding: 1, done: 2 },
      thread_id: "t1",
      usage,
    });
    expect(started.finished_at).toBeNull();
    expect(parseRunRecord(serializeRunRecord(done), FILE)).toEqual(done);
  });

  it("an interrupted record keeps what was known", () => {
    const r = interruptRunRecord(started, "2026-01-01T00:01:00Z");
    expect(r).toMatchObject({ outcome: "interrupted", exit_code: null, duration_ms: 60_000 });
    expect(r.error).toMatch(/runner stopped/);
  });

  it("fills fields missing from older records", () => {
    const r = parseRunRecord(
      JSON.stringify({ id: 1, started_at: "x", todo_before: { outstanding: 1, done: 0 }, extra: true }),
      FILE,
    );
    expect(r).toMatchObject({ id: 1, backend: "plain", attempts: 1, files_changed: [], commit: null });
    expect((r as unknown as Record<string, unknown>).extra).toBe(true);
  });

  it("names the file and key of a corrupt record", () => {
    const json = carError(() => parseRunRecord("{", FILE));
    expect(json.code).toBe("RUN_RECORD_CORRUPT");
    expect(json.details.file).toBe(FILE);
    const wrong = carError(() => parseRunRecord(JSON.stringify({ ...started, outcome: "exploded" }), FILE));
    expect(wrong.details.key).toBe("outcome");
    expect(wrong.message).toContain(FILE);
  });
});
