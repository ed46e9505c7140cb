import type { LogEntry, LogStream } from "../types.js";

/**
 * `codex-autorunner.log` lines, byte-exact with the original tool:
 *
 *   === run 12 start ===
 *   [2026-01-01T12:34:56Z] run=12 stdout: <agent line>
 *   [2026-01-01T12:34:56Z] run=12 stderr: <agent line>
 *   === run 12 end (code 0) ===
 *   === run 12 end (interrupted) ===     (ours: end written on recovery after a crashed runner)
 *
 * This file is the one definition of that grammar: the reader, the follower, the server's SSE frames
 * and the web UI's colouring all go through `parseLogLine` (or `classifyLogLine`, built on it).
 * The format functions return one line WITHOUT its trailing "\n"; the writer adds it.
 */

/** `2026-01-01T12:34:56Z`: ISO-8601 UTC, whole seconds. */
export function formatTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function formatStartMarker(runId: number): string {
  return `=== run ${runId} start ===`;
}

/** `code` null means the run never reported an exit code (recovered after a crash). */
export function formatEndMarker(runId: number, code: number | null): string {
  return code === null ? `=== run ${runId} end (interrupted) ===` : `=== run ${runId} end (code ${code}) ===`;
}

export function formatLogLine(ts: string | Date, runId: number, stream: LogStream, line: string): string {
  const stamp = typeof ts === "string" ? ts : formatTimestamp(ts);
  return `[${stamp}] run=${runId} ${stream}: ${line}`;
}

/**
 * A harness note outside any run block (ours: e.g. a rollback), `[<ts>] car: <text>`. It carries no run
 * id on purpose: a `run=N` line after N's end marker would make N look open to recovery
 * (engine/dead-runner.ts reads the log's tail) and break bisection's "run ids only grow". Readers see an
 * `other` line: `car log` prints it, `car log --run N` and the index skip it, SSE sends it with run_id null.
 */
export function formatNoteLine(ts: string | Date, text: string): string {
  const stamp = typeof ts === "string" ? ts : formatTimestamp(ts);
  return `[${stamp}] car: ${text.replace(/[\0\r\n]+/g, " ")}`;
}

const START_RE = /^=== run (\d+) start ===$/;
const END_RE = /^=== run (\d+) end \((?:code (-?\d+)|interrupted)\) ===$/;
// The timestamp is kept as written (the original's and ours are the same shape, but do not depend on it).
const LINE_RE = /^\[([^\]\n]*)\] run=(\d+) (stdout|stderr):(?: (.*))?$/s;

/** Classify one raw log line (without its "\n"). `offset` = its byte offset in the log. */
export function parseLogLine(raw: string, offset: number): LogEntry {
  const text = raw;
  let m = LINE_RE.exec(text);
  if (m) {
    return {
      kind: "line",
      runId: Number(m[2]),
      ts: m[1]!,
      stream: m[3] as LogStream,
      line: m[4] ?? "",
      offset,
      raw,
    };
  }
  m = START_RE.exec(text);
  if (m) return { kind: "start", runId: Number(m[1]), offset, raw };
  m = END_RE.exec(text);
  if (m)
    return { kind: "end", runId: Number(m[1]), code: m[2] === undefined ? null : Number(m[2]), offset, raw };
  return { kind: "other", offset, raw };
}

/** How a UI shows a line: a run marker (a clean end apart from a failed or interrupted one), a stream, or other. */
export type LogLineKind = "start" | "end-ok" | "end-fail" | "stdout" | "stderr" | "other";

export interface ClassifiedLogLine {
  kind: LogLineKind;
  runId: number | null;
  /** As written, for agent lines; null for markers and other lines. */
  ts: string | null;
  /** The agent's text for output lines; the whole line for markers and other lines. */
  text: string;
}

/**
 * `parseLogLine` for display (the web UI, per live line: one regex match for an agent line). A
 * trailing "\r" is taken as part of a CRLF line ending and dropped, so a log converted to CRLF still
 * shows its markers and output.
 */
export function classifyLogLine(raw: string): ClassifiedLogLine {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  const e = parseLogLine(line, 0);
  switch (e.kind) {
    case "line":
      return { kind: e.stream, runId: e.runId, ts: e.ts, text: e.line };
    case "start":
      return { kind: "start", runId: e.runId, ts: null, text: line };
    case "end":
      return { kind: e.code === 0 ? "end-ok" : "end-fail", runId: e.runId, ts: null, text: line };
    default:
      return { kind: "other", runId: null, ts: null, text: line };
  }
}

/** The agent's text of a `[ts] run=N stream: text` line, or null for markers and other lines. */
export function stripLogPrefix(raw: string): string | null {
  const m = LINE_RE.exec(raw);
  return m ? (m[4] ?? "") : null;
}

/** Longest log line body we write; longer agent lines become several log lines. */
export const MAX_LOG_LINE_CHARS = 65_536;

/** What sanitizeAgentLine changes in one line of normal length. */
const NEEDS_SANITIZING_LINE = /[\0\r\n]/;

/** Whether `text` is one log line as sanitizeAgentLine leaves it (it would return `[text]`). */
export function isLogLine(text: string): boolean {
  return text.length <= MAX_LOG_LINE_CHARS && !NEEDS_SANITIZING_LINE.test(text);
}

/**
 * Whether every line of `text` (lines joined by "\n") is already as sanitizeAgentLine leaves it: no
 * NUL, no CR, none longer than MAX_LOG_LINE_CHARS. One scan for the characters and a jump per
 * MAX_LOG_LINE_CHARS for the lengths, however many lines there are (agent output comes in chunks of
 * thousands of short lines).
 */
export function isSanitized(text: string): boolean {
  // indexOf is a memchr over a chunk's text: ~50× a character-class regex.
  if (text.indexOf("\0") >= 0 || text.indexOf("\r") >= 0) return false;
  for (let start = 0; text.length - start > MAX_LOG_LINE_CHARS; ) {
    // The last newline within reach of `start`: none means the line from `start` is too long.
    const nl = text.lastIndexOf("\n", start + MAX_LOG_LINE_CHARS);
    if (nl < start) return false;
    start = nl + 1;
  }
  return true;
}

/**
 * Make one line of agent output safe for the line-oriented log. Invalid UTF-8 was already replaced by
 * the decoder (U+FFFD). Here: NUL → U+2400 (␀); a `\r` progress bar keeps only its last non-empty
 * segment (what a terminal would show); stray "\n" split lines; lines over MAX_LOG_LINE_CHARS
 * are cut into chunks (never between the halves of a surrogate pair). Always at least one line.
 */
export function sanitizeAgentLine(text: string): string[] {
  if (isLogLine(text)) return [text];
  const out: string[] = [];
  for (const physical of text.replace(/\0/g, "\u2400").split("\n")) {
    const segments = physical.split("\r").filter((s) => s !== "");
    const line = segments.length > 0 ? segments[segments.length - 1]! : "";
    if (line.length <= MAX_LOG_LINE_CHARS) {
      out.push(line);
      continue;
    }
    let pos = 0;
    while (pos < line.length) {
      let end = Math.min(pos + MAX_LOG_LINE_CHARS, line.length);
      const last = line.charCodeAt(end - 1);
      if (end < line.length && last >= 0xd800 && last <= 0xdbff) end--;
      out.push(line.slice(pos, end));
      pos = end;
    }
  }
  return out;
}
