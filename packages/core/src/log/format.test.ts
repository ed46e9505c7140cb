import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyLogLine,
  formatEndMarker,
  formatLogLine,
  formatNoteLine,
  formatStartMarker,
  formatTimestamp,
  isLogLine,
  isSanitized,
  MAX_LOG_LINE_CHARS,
  parseLogLine,
  sanitizeAgentLine,
  stripLogPrefix,
} from "./format.js";

describe("log line format (byte-exact with the original)", () => {
  it("formats markers, lines and timestamps", () => {
    expect(formatTimestamp(new Date(Date.UTC(2026, 0, 1, 12, 34, 56, 789)))).toBe("2026-01-01T12:34:56Z");
    expect(formatStartMarker(12)).toBe("=== run 12 start ===");
    expect(formatEndMarker(12, 0)).toBe("=== run 12 end (code 0) ===");
    expect(formatEndMarker(3, 143)).toBe("=== run 3 end (code 143) ===");
    expect(formatEndMarker(12, null)).toBe("=== run 12 end (interrupted) ===");
    expect(formatLogLine("2026-01-01T12:34:56Z", 12, "stdout", "text")).toBe(
      "[2026-01-01T12:34:56Z] run=12 stdout: text",
    );
    expect(formatLogLine(new Date(Date.UTC(2026, 0, 1)), 1, "stderr", "")).toBe(
      "[2026-01-01T00:00:00Z] run=1 stderr: ",
    );
  });

  it("classifies lines of a log written by the original tool", () => {
    const log = [
      "=== run 1 start ===",
      "[2025-06-01T10:00:00Z] run=1 stdout: hello [x] world",
      "[2025-06-01T10:00:01Z] run=1 stdout: ",
      "=== run 1 end (code -15) ===",
      "some stray text",
      "=== run 2 end (interrupted) ===",
    ];
    let offset = 0;
    const entries = log.map((raw) => {
      const e = parseLogLine(raw, offset);
      offset += new TextEncoder().encode(raw).length + 1;
      return e;
    });
    expect(entries.map((e) => e.kind)).toEqual(["start", "line", "line", "end", "other", "end"]);
    expect(entries[1]).toMatchObject({
      runId: 1,
      ts: "2025-06-01T10:00:00Z",
      stream: "stdout",
      line: "hello [x] world",
    });
    expect(entries[1]!.offset).toBe(20);
    expect(entries[2]).toMatchObject({ line: "" });
    expect(entries[3]).toMatchObject({ kind: "end", runId: 1, code: -15 });
    expect(entries[5]).toMatchObject({ kind: "end", runId: 2, code: null });
    expect(entries[4]).toEqual({ kind: "other", offset: entries[4]!.offset, raw: "some stray text" });
  });

  it("rejects near-miss markers as other", () => {
    for (const raw of [
      "=== run x start ===",
      "=== run 1 start",
      "=== run 1 end (code) ===",
      "[ts] run=1 stdin: x",
    ]) {
      expect(parseLogLine(raw, 0).kind).toBe("other");
    }
  });

  it("stripLogPrefix returns the agent text of line entries only", () => {
    expect(stripLogPrefix("[2026-01-01T12:34:56Z] run=12 stderr: oops: bad ] thing")).toBe(
      "oops: bad ] thing",
    );
    expect(stripLogPrefix("=== run 12 start ===")).toBeNull();
    expect(stripLogPrefix("plain")).toBeNull();
  });

  it("parseLogLine ∘ formatLogLine round-trips any line without a newline (property)", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        fc.nat(),
        fc.constantFrom("stdout" as const, "stderr" as const),
        fc.string({ unit: "grapheme", maxLength: 80 }).map((s) => s.replace(/\n/g, "")),
        fc.nat(),
        (date, runId, stream, line, offset) => {
          const ts = formatTimestamp(date);
          const raw = formatLogLine(ts, runId, stream, line);
          expect(parseLogLine(raw, offset)).toEqual({ kind: "line", runId, ts, stream, line, offset, raw });
          expect(stripLogPrefix(raw)).toBe(line);
          expect(parseLogLine(formatStartMarker(runId), offset)).toMatchObject({ kind: "start", runId });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("formatNoteLine (a harness note between run blocks)", () => {
  it("is one line no reader takes for a run's line or marker", () => {
    const note = formatNoteLine(
      new Date("2026-01-01T12:34:56.789Z"),
      "rolled back\nto before run 3 === run 3 end (code 0) ===",
    );
    expect(note).toBe("[2026-01-01T12:34:56Z] car: rolled back to before run 3 === run 3 end (code 0) ===");
    expect(parseLogLine(note, 0).kind).toBe("other");
    expect(classifyLogLine(note)).toMatchObject({ kind: "other", runId: null });
    // Even a text that looks like a run line's prefix stays a note.
    expect(parseLogLine(formatNoteLine("2026-01-01T00:00:00Z", "run=3 stdout: x"), 0).kind).toBe("other");
  });
});

describe("classifyLogLine (display kinds, built on parseLogLine)", () => {
  it("gives each line written by the formatters its kind, run and text", () => {
    expect(classifyLogLine(formatStartMarker(12))).toEqual({
      kind: "start",
      runId: 12,
      ts: null,
      text: "=== run 12 start ===",
    });
    expect(classifyLogLine(formatEndMarker(12, 0))).toMatchObject({ kind: "end-ok", runId: 12 });
    expect(classifyLogLine(formatEndMarker(12, 143))).toMatchObject({ kind: "end-fail", runId: 12 });
    expect(classifyLogLine(formatEndMarker(3, null))).toMatchObject({ kind: "end-fail", runId: 3 });
    expect(classifyLogLine(formatLogLine("2026-01-01T12:34:56Z", 4, "stderr", "boom: x"))).toEqual({
      kind: "stderr",
      runId: 4,
      ts: "2026-01-01T12:34:56Z",
      text: "boom: x",
    });
    expect(classifyLogLine("stray")).toEqual({ kind: "other", runId: null, ts: null, text: "stray" });
  });

  it("agrees with parseLogLine on every line, a CRLF ending aside (property)", () => {
    const kindOf = (raw: string): string => {
      const e = parseLogLine(raw, 0);
      if (e.kind === "line") return e.stream;
      if (e.kind === "end") return e.code === 0 ? "end-ok" : "end-fail";
      return e.kind;
    };
    const anyLine = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.tuple(fc.nat(), fc.string({ maxLength: 20 })).map(([id, t]) => formatLogLine("t", id, "stdout", t)),
      fc.nat().map((id) => formatStartMarker(id)),
      fc.tuple(fc.nat(), fc.option(fc.integer())).map(([id, code]) => formatEndMarker(id, code)),
    );
    fc.assert(
      fc.property(anyLine, fc.boolean(), (raw, crlf) => {
        const line = raw.replace(/[\r\n]/g, "");
        expect(classifyLogLine(crlf ? `${line}\r` : line).kind).toBe(kindOf(line));
      }),
      { numRuns: 300 },
    );
  });
});

describe("sanitizeAgentLine", () => {
  it("replaces NUL, keeps the last progress-bar segment, drops a trailing CR", () => {
    expect(sanitizeAgentLine("a\0b")).toEqual(["a\u2400b"]);
    expect(sanitizeAgentLine("10%\r50%\r100%")).toEqual(["100%"]);
    expect(sanitizeAgentLine("done\r")).toEqual(["done"]);
    expect(sanitizeAgentLine("100%\r\r")).toEqual(["100%"]);
    expect(sanitizeAgentLine("")).toEqual([""]);
    expect(sanitizeAgentLine("\r")).toEqual([""]);
    expect(sanitizeAgentLine("a\nb")).toEqual(["a", "b"]);
  });

  it("splits over-long lines into chunks without breaking surrogate pairs", () => {
    const long = "x".repeat(MAX_LOG_LINE_CHARS * 2 + 5);
    const parts = sanitizeAgentLine(long);
    expect(parts.map((p) => p.length)).toEqual([MAX_LOG_LINE_CHARS, MAX_LOG_LINE_CHARS, 5]);
    const emoji = "y".repeat(MAX_LOG_LINE_CHARS - 1) + "😀" + "z";
    const split = sanitizeAgentLine(emoji);
    expect(split.join("")).toBe(emoji);
    expect(split[0]!.length).toBe(MAX_LOG_LINE_CHARS - 1);
    expect(split[1]).toBe("😀z");
  });

  it("always yields loggable lines that round-trip through the log format (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        const lines = sanitizeAgentLine(text);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) {
          expect(line).not.toMatch(/[\r\n\0]/);
          expect(stripLogPrefix(formatLogLine("2026-01-01T00:00:00Z", 1, "stdout", line))).toBe(line);
        }
      }),
    );
  });
});

describe("isLogLine / isSanitized (what sanitizeAgentLine would leave as it is)", () => {
  /** Text with long runs, NUL, CR and newlines in places (lengths around MAX_LOG_LINE_CHARS). */
  const text = fc
    .array(
      fc.oneof(
        fc.constantFrom("\n", "\r", "\0", "é", "😀"),
        fc.string({ maxLength: 8 }),
        fc.integer({ min: MAX_LOG_LINE_CHARS - 3, max: MAX_LOG_LINE_CHARS + 3 }).map((n) => "x".repeat(n)),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(""));

  it("isLogLine(t) ⇔ sanitizeAgentLine(t) is [t]; isSanitized(block) ⇔ every line of it is (property)", () => {
    fc.assert(
      fc.property(text, (t) => {
        const same = (line: string) => {
          const out = sanitizeAgentLine(line);
          return out.length === 1 && out[0] === line;
        };
        expect(isLogLine(t)).toBe(same(t));
        expect(isSanitized(t)).toBe(t.split("\n").every(same));
      }),
      { numRuns: 300 },
    );
  });

  it("checks the length of every line of a block, not only the first or the whole", () => {
    const ok = `${"a".repeat(MAX_LOG_LINE_CHARS)}\n${"b".repeat(MAX_LOG_LINE_CHARS)}\nc`;
    expect(isSanitized(ok)).toBe(true);
    expect(isSanitized(`${ok}\n${"d".repeat(MAX_LOG_LINE_CHARS + 1)}`)).toBe(false);
    expect(isSanitized(`x\n${"d".repeat(MAX_LOG_LINE_CHARS + 1)}\ny`)).toBe(false);
    expect(isSanitized("")).toBe(true);
    expect(isLogLine("a\nb")).toBe(false);
    expect(isSanitized("a\nb")).toBe(true);
  });
});
