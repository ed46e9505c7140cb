import type { promises as fsp } from "node:fs";
import { parseLogLine } from "../../../log/format.js";
import type { LogEntry } from "../../../types.js";

/**
 * Reading an open log by byte offset, shared by the lookup strategies (index, bisection, scans). Log
 * files are read as bytes and only the lines a lookup needs are decoded and parsed.
 */

export const CHUNK = 64 * 1024;
export const NL = 0x0a;
export const EMPTY = Buffer.alloc(0);

/** A run's block in the log, as every lookup strategy returns it. */
export interface Located {
  start: number;
  /** Offset just past the end marker line (its newline included), when the run has ended. */
  endLineEnd: number | null;
}

export async function readRange(fd: fsp.FileHandle, start: number, end: number): Promise<Buffer> {
  const length = Math.max(0, end - start);
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fd.read(buf, done, length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export function isMarker(entry: LogEntry, kind: "start" | "end", runId: number): boolean {
  return entry.kind === kind && entry.runId === runId;
}

/** Whether the line starting exactly at `offset` is run `runId`'s `kind` marker. */
export async function isMarkerAt(
  fd: fsp.FileHandle,
  size: number,
  offset: number,
  kind: "start" | "end",
  runId: number,
): Promise<boolean> {
  const entry = await shortLineAt(fd, size, offset);
  return entry !== null && isMarker(entry, kind, runId);
}

/** Whether the line ending (with its "\n") exactly at `lineEnd` is run `runId`'s end marker. */
export async function isEndMarkerBefore(
  fd: fsp.FileHandle,
  size: number,
  lineEnd: number,
  runId: number,
): Promise<boolean> {
  if (lineEnd <= 0 || lineEnd > size) return false;
  const from = Math.max(0, lineEnd - 512);
  const buf = await readRange(fd, from, lineEnd);
  if (buf[buf.length - 1] !== NL) return false;
  const prevNl = buf.lastIndexOf(NL, buf.length - 2);
  if (prevNl < 0 && from > 0) return false; // longer than a marker
  const start = prevNl + 1;
  return isMarker(
    parseLogLine(buf.subarray(start, buf.length - 1).toString("utf8"), from + start),
    "end",
    runId,
  );
}

/** The parsed line starting exactly at `offset` (which must follow a newline), if it is marker-short. */
async function shortLineAt(fd: fsp.FileHandle, size: number, offset: number): Promise<LogEntry | null> {
  if (offset < 0 || offset >= size) return null;
  const from = Math.max(0, offset - 1);
  const buf = await readRange(fd, from, Math.min(size, offset + 512));
  if (offset > 0 && buf[0] !== NL) return null;
  const body = offset > 0 ? buf.subarray(1) : buf;
  const nl = body.indexOf(NL);
  const line = nl >= 0 ? body.subarray(0, nl) : body;
  if (nl < 0 && offset + body.length < size) return null; // longer than a marker
  return parseLogLine(line.toString("utf8"), offset);
}
