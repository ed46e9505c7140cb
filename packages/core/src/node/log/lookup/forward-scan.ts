import type { promises as fsp } from "node:fs";
import { parseLogLine } from "../../../log/format.js";
import type { LogEntry } from "../../../types.js";
import { CHUNK, isMarker, NL, readRange } from "./log-file.js";

/** Reading forwards: the entries after a cursor (SSE replay, the follower) and the end of a run's block. */

export interface ReadFromResult {
  entries: LogEntry[];
  /** Cursor just past the last complete line returned (pass it to the next call). */
  next: number;
  /** Log size when read. */
  size: number;
}

/**
 * Complete lines of [from, size) in order: `onLine(line, offset)` returning true stops. Returns the
 * offset just past the last line visited (a trailing partial line is not visited).
 */
async function scanForward(
  fd: fsp.FileHandle,
  size: number,
  from: number,
  onLine: (line: Buffer, offset: number) => boolean,
): Promise<number> {
  let pos = from;
  let lineStart = from; // absolute offset of the line being assembled
  let parts: Buffer[] = [];
  while (pos < size) {
    const chunk = await readRange(fd, pos, Math.min(size, pos + CHUNK));
    if (chunk.length === 0) break;
    let i = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, i)) {
      const piece = chunk.subarray(i, nl);
      const line = parts.length > 0 ? Buffer.concat([...parts, piece]) : piece;
      parts = [];
      const offset = lineStart;
      lineStart = pos + nl + 1;
      i = nl + 1;
      if (onLine(line, offset)) return lineStart;
    }
    if (i < chunk.length) parts.push(chunk.subarray(i));
    pos += chunk.length;
  }
  return lineStart;
}

/**
 * Offset just past run `runId`'s first end marker at or after `start`; when there is none, the log's
 * size, or null with `nullWhenOpen`.
 */
export async function findEndForward(
  fd: fsp.FileHandle,
  size: number,
  start: number,
  runId: number,
  nullWhenOpen: true,
): Promise<number | null>;
export async function findEndForward(
  fd: fsp.FileHandle,
  size: number,
  start: number,
  runId: number,
): Promise<number>;
export async function findEndForward(
  fd: fsp.FileHandle,
  size: number,
  start: number,
  runId: number,
  nullWhenOpen = false,
): Promise<number | null> {
  let found = false;
  const next = await scanForward(fd, size, start, (line, offset) => {
    // Only marker-sized lines starting with "=" can be markers; skip decoding long agent lines.
    found =
      line.length < 80 &&
      line[0] === 0x3d &&
      isMarker(parseLogLine(line.toString("utf8"), offset), "end", runId);
    return found;
  });
  return found ? next : nullWhenOpen ? null : size;
}

/** Parsed complete lines of an open log from `offset` (see `LogReader.readFrom`). */
export async function readEntriesFromHandle(
  fd: fsp.FileHandle,
  size: number,
  offset: number,
  limit: number,
): Promise<ReadFromResult> {
  const entries: LogEntry[] = [];
  if (offset >= size || limit <= 0) return { entries, next: Math.min(offset, size), size };
  let cursor = Math.max(0, offset);
  // Resume at a line start: an offset inside a line skips to the next one.
  if (cursor > 0) {
    const prev = await readRange(fd, cursor - 1, cursor);
    if (prev[0] !== NL) {
      const nextStart = await findNextLineStart(fd, size, cursor);
      if (nextStart === null) return { entries, next: cursor, size };
      cursor = nextStart;
    }
  }
  const next = await scanForward(fd, size, cursor, (line, offset) => {
    entries.push(parseLogLine(line.toString("utf8"), offset));
    return entries.length >= limit;
  });
  return { entries, next, size };
}

async function findNextLineStart(fd: fsp.FileHandle, size: number, from: number): Promise<number | null> {
  let pos = from;
  while (pos < size) {
    const chunk = await readRange(fd, pos, Math.min(size, pos + CHUNK));
    const nl = chunk.indexOf(NL);
    if (nl >= 0) return pos + nl + 1;
    pos += chunk.length;
  }
  return null;
}
