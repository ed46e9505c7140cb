import type { promises as fsp } from "node:fs";
import { parseLogLine } from "../../../log/format.js";
import type { LogEntry } from "../../../types.js";
import { scanMarkersBackward } from "./backward-scan.js";
import { NL, readRange } from "./log-file.js";

/** Logs at least this big are bisected before any backwards scan (below, a scan is as cheap). */
export const BISECT_MIN_LOG = 8 * 1024 * 1024;
/** The bisection stops when the run's start marker is known to lie in a window this small. */
export const BISECT_WINDOW = 256 * 1024;
/** A probe's first read; most log lines are far shorter. */
const PROBE_FIRST = 16 * 1024;
/** How far a probe reads past its offset for a line carrying a run id before giving up. */
const PROBE_LIMIT = 256 * 1024;

/**
 * Offset of run `runId`'s start marker, found by bisecting byte offsets: run ids only grow through a
 * log (each run's lines sit between its markers, and the next run takes the next id), so the run id
 * of the first line after any offset tells which side the marker is on. That is about log2(size /
 * window) small reads plus one marker scan of the window — flat in the log's size — where a scan back
 * from the end reads everything after the run. Null when a probe finds no run id within reach (not a
 * run log) or the window holds no such marker; the caller then falls back to the scan. A log whose ids
 * restarted (state.json deleted by hand) breaks the ordering; the marker found is still run `runId`'s
 * start, though maybe not its last occurrence.
 */
export async function bisectRunStart(
  fd: fsp.FileHandle,
  size: number,
  runId: number,
  window: number,
): Promise<number | null> {
  let lo = 0; // always a line start at or before the marker
  let hi = size; // the marker starts before hi
  let scanEnd = size; // a line start ≥ hi with no run line starting in [hi, scanEnd)
  while (hi - lo > window) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const probe = await firstRunLineFrom(fd, hi, mid);
    if (probe === "none")
      hi = mid; // no run line in [mid, hi): the marker, a run line, is before mid
    else if (probe === null) return null;
    else if (probe.entry.kind === "start" && probe.entry.runId === runId) return probe.offset;
    else if (probe.entry.runId < runId) lo = probe.lineEnd;
    else hi = scanEnd = probe.offset;
  }
  // Scan to a line start, not to `hi`: a "none" probe may have set `hi` inside the marker's line.
  let start: number | null = null;
  await scanMarkersBackward(fd, scanEnd, lo, (entry) => {
    if (entry.kind === "start" && entry.runId === runId) start = entry.offset;
    return start !== null;
  });
  return start;
}

type RunLine = Extract<LogEntry, { runId: number }>;

/**
 * The first line starting at or after `from` and before `end` that carries a run id: the line, "none"
 * when [from, end) has no such line, or null when none shows up within PROBE_LIMIT bytes.
 */
async function firstRunLineFrom(
  fd: fsp.FileHandle,
  end: number,
  from: number,
): Promise<{ entry: RunLine; offset: number; lineEnd: number } | "none" | null> {
  // Most lines are short: read a little first, and up to PROBE_LIMIT only when that found nothing.
  const small = await firstRunLineWithin(fd, end, from, Math.min(end, from + PROBE_FIRST));
  if (small !== null || from + PROBE_FIRST >= end) return small;
  return firstRunLineWithin(fd, end, from, Math.min(end, from + PROBE_LIMIT));
}

async function firstRunLineWithin(
  fd: fsp.FileHandle,
  end: number,
  from: number,
  readTo: number,
): Promise<{ entry: RunLine; offset: number; lineEnd: number } | "none" | null> {
  const buf = await readRange(fd, from - 1, readTo); // from ≥ 1: the byte before tells a line start
  let at = buf[0] === NL ? 1 : buf.indexOf(NL) + 1;
  while (at > 0 && at < buf.length) {
    const nl = buf.indexOf(NL, at);
    if (nl < 0 && from - 1 + buf.length < end) return null; // line runs past this read
    const lineEnd = nl < 0 ? buf.length : nl;
    const offset = from - 1 + at;
    const entry = parseLogLine(buf.subarray(at, lineEnd).toString("utf8"), offset);
    if (entry.kind !== "other") return { entry, offset, lineEnd: from - 1 + lineEnd + 1 };
    at = nl < 0 ? 0 : nl + 1;
  }
  return readTo >= end ? "none" : null;
}
