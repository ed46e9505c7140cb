import { formatEndMarker, formatStartMarker } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import {
  appendCapped,
  classifyBlock,
  classifyEvent,
  classifyRawLine,
  dedupeOverlap,
  type LogLine,
  markerFromRunEvent,
  matchesFilter,
} from "./classify.js";

describe("classifyRawLine", () => {
  it("recognises the runner's line formats", () => {
    expect(classifyRawLine("=== run 12 start ===", "k")).toMatchObject({ kind: "start", runId: 12 });
    expect(classifyRawLine("=== run 12 end (code 0) ===", "k")).toMatchObject({ kind: "end-ok", runId: 12 });
    expect(classifyRawLine("=== run 12 end (code 143) ===", "k")).toMatchObject({
      kind: "end-fail",
      runId: 12,
    });
    expect(classifyRawLine("=== run 3 end (interrupted) ===", "k")).toMatchObject({
      kind: "end-fail",
      runId: 3,
    });
    expect(classifyRawLine("[2026-01-01T12:34:56Z] run=12 stderr: boom", "k")).toEqual({
      key: "k",
      kind: "stderr",
      runId: 12,
      ts: "2026-01-01T12:34:56Z",
      text: "boom",
    });
    expect(classifyRawLine("[2026-01-01T12:34:56Z] run=12 stdout: ok: fine", "k")).toMatchObject({
      kind: "stdout",
      text: "ok: fine",
    });
  });

  it("keeps lines it does not know as 'other', and is not fooled by look-alikes", () => {
    expect(classifyRawLine("hello", "k")).toMatchObject({ kind: "other", text: "hello" });
    expect(classifyRawLine("=== run x start ===", "k").kind).toBe("other");
    expect(classifyRawLine("[ts] run=1 stdin: nope", "k").kind).toBe("other");
  });

  it("accepts CRLF logs and an empty agent line", () => {
    expect(classifyRawLine("=== run 1 start ===\r", "k").kind).toBe("start");
    expect(classifyRawLine("[t] run=1 stdout: ", "k")).toMatchObject({ kind: "stdout", text: "" });
  });
});

describe("classifyBlock", () => {
  it("splits a block into keyed lines and drops the final newline only", () => {
    const lines = classifyBlock("=== run 1 start ===\n[t] run=1 stdout: a\n\n", "b");
    expect(lines.map((l) => [l.key, l.kind, l.text])).toEqual([
      ["b:0", "start", "=== run 1 start ==="],
      ["b:1", "stdout", "a"],
      ["b:2", "other", ""],
    ]);
    expect(classifyBlock("", "b")).toEqual([]);
  });
});

describe("live events", () => {
  it("classifies log events by stream and keeps raw 'other' lines", () => {
    expect(classifyEvent({ run_id: 4, ts: "t", stream: "stderr", line: "x" }, "99")).toEqual({
      key: "e99",
      kind: "stderr",
      runId: 4,
      ts: "t",
      text: "x",
    });
    expect(classifyEvent({ run_id: null, ts: null, stream: null, line: "free text" }, "5").kind).toBe(
      "other",
    );
  });

  it("turns run events into the marker lines they carry", () => {
    const start = { run_id: 7, phase: "start", code: null, line: formatStartMarker(7) } as const;
    expect(markerFromRunEvent(start, "1")).toEqual({
      key: "r1",
      kind: "start",
      runId: 7,
      ts: null,
      text: "=== run 7 start ===",
    });
    const failed = { run_id: 7, phase: "end", code: 2, line: formatEndMarker(7, 2) } as const;
    expect(markerFromRunEvent(failed, "2")).toMatchObject({
      kind: "end-fail",
      text: "=== run 7 end (code 2) ===",
    });
    const ok = { run_id: 7, phase: "end", code: 0, line: formatEndMarker(7, 0) } as const;
    expect(markerFromRunEvent(ok, "3").kind).toBe("end-ok");
    const interrupted = { run_id: 8, phase: "end", code: null, line: formatEndMarker(8, null) } as const;
    expect(markerFromRunEvent(interrupted, "4")).toMatchObject({ kind: "end-fail", runId: 8 });
  });

  it("a live marker equals the same marker in a fetched block, so the overlap is dropped once", () => {
    const block = classifyBlock(`${formatStartMarker(9)}\n`, "b");
    const live = [
      markerFromRunEvent({ run_id: 9, phase: "start", code: null, line: formatStartMarker(9) }, "5"),
    ];
    expect(dedupeOverlap(block, live)).toEqual([]);
  });
});

const line = (text: string, kind: LogLine["kind"] = "stdout", key = text): LogLine => ({
  key,
  kind,
  runId: 1,
  ts: "t",
  text,
});

describe("dedupeOverlap", () => {
  it("drops the part of a fetched block that live lines already delivered", () => {
    const block = [line("a"), line("b"), line("c")];
    expect(
      dedupeOverlap(block, [line("b", "stdout", "e1"), line("c", "stdout", "e2"), line("d")]).map(
        (l) => l.text,
      ),
    ).toEqual(["a"]);
    expect(dedupeOverlap(block, [line("x")]).map((l) => l.text)).toEqual(["a", "b", "c"]);
    expect(dedupeOverlap(block, []).length).toBe(3);
    expect(dedupeOverlap([], [line("a")])).toEqual([]);
  });

  it("does not treat a stderr line as the same stdout text", () => {
    expect(dedupeOverlap([line("a")], [line("a", "stderr")]).length).toBe(1);
  });
});

describe("appendCapped / matchesFilter", () => {
  it("keeps only the newest lines and counts the dropped ones", () => {
    const lines = Array.from({ length: 5 }, (_, i) => line(String(i)));
    const r = appendCapped(lines.slice(0, 3), lines.slice(3), 4);
    expect(r.lines.map((l) => l.text)).toEqual(["1", "2", "3", "4"]);
    expect(r.dropped).toBe(1);
    expect(appendCapped([], lines, 10).dropped).toBe(0);
  });

  it("filters case-insensitively", () => {
    expect(matchesFilter(line("Error: Disk full"), "disk")).toBe(true);
    expect(matchesFilter(line("all good"), "disk")).toBe(false);
    expect(matchesFilter(line("x"), "")).toBe(true);
  });
});
