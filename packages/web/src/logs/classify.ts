/**
 * Log lines as the UI shows them. Raw lines (GET /api/logs) are in the runner's byte-exact format;
 * live lines (SSE `log` events) arrive parsed. Both become a LogLine with a kind that picks its
 * colour: stderr, run markers (start/end, failed ends stand out), ordinary output. The line grammar
 * is core's (log/format.ts): this file only keys and arranges lines.
 */
import { type ClassifiedLogLine, classifyLogLine } from "@codex-autorunner/core";
import type { LogEventData, RunEventData } from "../api/types.js";

export interface LogLine extends ClassifiedLogLine {
  /** Stable key for rendering (SSE id or position in a fetched block). */
  key: string;
}

/** Classify one raw log line (without its newline). */
export function classifyRawLine(raw: string, key: string): LogLine {
  const c = classifyLogLine(raw);
  return { key, kind: c.kind, runId: c.runId, ts: c.ts, text: c.text };
}

/** Split a fetched log block into classified lines; `prefix` keeps keys unique across blocks. */
export function classifyBlock(log: string, prefix: string): LogLine[] {
  if (log === "") return [];
  const rows = log.split("\n");
  if (rows[rows.length - 1] === "") rows.pop();
  return rows.map((raw, i) => classifyRawLine(raw, `${prefix}:${i}`));
}

/** A live `event: log`. A marker sent as a log line is recognised by its text. */
export function classifyEvent(data: LogEventData, id: string): LogLine {
  const key = id ? `e${id}` : `e${Math.random().toString(36).slice(2)}`;
  const stream = data.stream;
  if (stream !== "stdout" && stream !== "stderr") {
    const asRaw = classifyRawLine(data.line, key);
    return { ...asRaw, runId: asRaw.runId ?? data.run_id ?? null, ts: asRaw.ts ?? data.ts ?? null };
  }
  return { key, kind: stream, runId: data.run_id ?? null, ts: data.ts ?? null, text: data.line };
}

/**
 * The marker line a `run` event stands for, so live views show run boundaries. Its `line` is the
 * marker as written in the log, classified like the same line in a fetched block (so the two match
 * when dedupeOverlap compares them).
 */
export function markerFromRunEvent(data: RunEventData, id: string): LogLine {
  return classifyRawLine(data.line, `r${id || Math.random().toString(36).slice(2)}`);
}

function sameLine(a: LogLine, b: LogLine): boolean {
  return (
    a.kind === b.kind &&
    a.runId === b.runId &&
    a.text === b.text &&
    (a.ts === null || b.ts === null || a.ts === b.ts)
  );
}

/**
 * A fetched block and the live lines that arrived while it was being fetched may overlap (the
 * server read the file after those lines were written). Drops the block's tail that repeats the
 * start of `live`, longest overlap first.
 */
export function dedupeOverlap(block: readonly LogLine[], live: readonly LogLine[]): LogLine[] {
  for (let k = Math.min(block.length, live.length); k > 0; k--) {
    let match = true;
    for (let i = 0; i < k; i++) {
      if (!sameLine(block[block.length - k + i]!, live[i]!)) {
        match = false;
        break;
      }
    }
    if (match) return block.slice(0, block.length - k);
  }
  return block.slice();
}

/** Short local time for a line's timestamp ("14:03:07"); the full one goes in the tooltip. */
export function shortTime(ts: string | null): string {
  if (!ts) return "";
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function matchesFilter(line: LogLine, filter: string): boolean {
  if (!filter) return true;
  return line.text.toLowerCase().includes(filter.toLowerCase());
}

/** Append and keep only the newest `cap` lines; returns how many were dropped in total. */
export function appendCapped(
  lines: readonly LogLine[],
  added: readonly LogLine[],
  cap: number,
): { lines: LogLine[]; dropped: number } {
  const all = lines.concat(added);
  if (all.length <= cap) return { lines: all, dropped: 0 };
  return { lines: all.slice(all.length - cap), dropped: all.length - cap };
}
