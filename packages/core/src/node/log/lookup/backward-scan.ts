import type { promises as fsp } from "node:fs";
import { parseLogLine } from "../../../log/format.js";
import type { IndexEntry } from "../../../log/index-format.js";
import type { LogEntry } from "../../../types.js";
import { CHUNK, EMPTY, type Located, NL, readRange } from "./log-file.js";

/**
 * Reading backwards from the end of the log in chunks: the last lines (`tail`, a run's output), and
 * the lookup that needs no index at all (it also works for logs written by the original tool). Cost:
 * what lies after the line looked for, not the log's size.
 */

/**
 * Visit the lines of [floor, end) from the last to the first, reading 64 KiB chunks backwards.
 * `visit(line, offset)` gets the line without its newline; returning true stops. A final empty
 * segment after a trailing newline is not a line. `floor` must be a line start.
 */
export async function scanBackward(
  fd: fsp.FileHandle,
  end: number,
  floor: number,
  visit: (line: Buffer, offset: number) => boolean | undefined,
): Promise<void> {
  let pos = end;
  // Pieces (in file order) of the line being assembled: kept apart so a very long line costs linear time.
  let parts: Buffer[] = [];
  let first = true;
  while (pos > floor) {
    const start = Math.max(floor, pos - CHUNK);
    const chunk = await readRange(fd, start, pos);
    let lineEnd = chunk.length;
    if (first) {
      first = false;
      if (chunk[chunk.length - 1] === NL) lineEnd = chunk.length - 1; // a trailing newline ends the last line
    }
    for (
      let j = lineEnd > 0 ? chunk.lastIndexOf(NL, lineEnd - 1) : -1;
      j >= 0;
      j = j > 0 ? chunk.lastIndexOf(NL, j - 1) : -1
    ) {
      const piece = chunk.subarray(j + 1, lineEnd);
      const line = parts.length > 0 ? Buffer.concat([piece, ...parts]) : piece;
      parts = [];
      if (visit(line, start + j + 1)) return;
      lineEnd = j;
    }
    if (lineEnd > 0) parts.unshift(chunk.subarray(0, lineEnd));
    pos = start;
  }
  // What is left is the range's first line (it starts at `floor`).
  if (!first) visit(parts.length > 0 ? Buffer.concat(parts) : EMPTY, floor);
}

/**
 * Offset of the `n`th last line's start (0 when the file has fewer lines), counting lines as
 * `scanBackward` does (a trailing "\n" ends the last line; blank lines count). Only newlines are
 * searched for: no line is split out or decoded. Reads small chunks first (a tail is usually short).
 */
export async function nthLineStartFromEnd(fd: fsp.FileHandle, size: number, n: number): Promise<number> {
  let count = 0;
  let pos = size;
  let chunkSize = 16 * 1024;
  let first = true;
  while (pos > 0) {
    const start = Math.max(0, pos - chunkSize);
    const chunk = await readRange(fd, start, pos);
    let bound = chunk.length; // search for newlines before this index
    if (first) {
      first = false;
      if (chunk[chunk.length - 1] === NL) bound--; // a trailing newline ends the last line
    }
    for (
      let j = bound > 0 ? chunk.lastIndexOf(NL, bound - 1) : -1;
      j >= 0;
      j = j > 0 ? chunk.lastIndexOf(NL, j - 1) : -1
    ) {
      if (++count >= n) return start + j + 1;
    }
    pos = start;
    chunkSize = Math.min(CHUNK, chunkSize * 2);
  }
  return 0;
}

const MARKER_AFTER_NL = Buffer.from("\n=== run ");
const MARKER_HEAD = MARKER_AFTER_NL.subarray(1);
/** Bytes read past a chunk so a marker line starting in it is usually complete (markers are ~30 bytes). */
const MARKER_OVERLAP = 256;
const MARKER_CHUNK_MAX = 1024 * 1024;

/**
 * Like `scanBackward` + `parseLogLine`, but visits only the lines that can be run markers (those
 * starting with "=== run ", the common prefix of both markers in log/format.ts), found by a byte
 * search: agent lines are neither split nor decoded. Same lines, same order, same parse as the full
 * scan. `visit(entry, lineEnd)` gets the parsed line and the offset just past it (its "\n" included,
 * capped at `end`); returning true stops.
 */
export async function scanMarkersBackward(
  fd: fsp.FileHandle,
  end: number,
  floor: number,
  visit: (entry: LogEntry, lineEnd: number) => boolean | undefined,
): Promise<void> {
  const visitAt = async (buf: Buffer, bufStart: number, at: number): Promise<boolean> => {
    // `at` = index in `buf` of a line start; the line is complete in `buf` unless it is very long.
    const nl = buf.indexOf(NL, at);
    let line: Buffer;
    if (nl >= 0) line = buf.subarray(at, nl);
    else if (bufStart + buf.length >= end) line = buf.subarray(at);
    else line = await readLineFrom(fd, end, bufStart + at);
    const offset = bufStart + at;
    return (
      visit(parseLogLine(line.toString("utf8"), offset), Math.min(end, offset + line.length + 1)) === true
    );
  };
  let pos = end;
  // Chunks grow to 1 MiB: a marker search is cheap per byte, the reads' overhead is per call.
  let chunkSize = CHUNK;
  while (pos > floor) {
    const start = Math.max(floor, pos - chunkSize);
    chunkSize = Math.min(MARKER_CHUNK_MAX, chunkSize * 2);
    const buf = await readRange(fd, start, Math.min(end, pos + MARKER_OVERLAP));
    // This chunk owns the markers whose preceding "\n" lies in [start, pos).
    for (
      let i = buf.lastIndexOf(MARKER_AFTER_NL, pos - start - 1);
      i >= 0;
      i = i > 0 ? buf.lastIndexOf(MARKER_AFTER_NL, i - 1) : -1
    ) {
      if (await visitAt(buf, start, i + 1)) return;
    }
    pos = start;
  }
  // The range's first line (it starts at `floor`, with no "\n" before it in range).
  if (end > floor) {
    const head = await readRange(fd, floor, Math.min(end, floor + MARKER_OVERLAP));
    if (head.subarray(0, MARKER_HEAD.length).equals(MARKER_HEAD)) await visitAt(head, floor, 0);
  }
}

/** The whole line starting at `offset` (without its "\n"), up to `end`: the rare very long marker. */
async function readLineFrom(fd: fsp.FileHandle, end: number, offset: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let pos = offset;
  while (pos < end) {
    const chunk = await readRange(fd, pos, Math.min(end, pos + CHUNK));
    if (chunk.length === 0) break;
    const nl = chunk.indexOf(NL);
    if (nl >= 0) {
      parts.push(chunk.subarray(0, nl));
      break;
    }
    parts.push(chunk);
    pos += chunk.length;
  }
  return Buffer.concat(parts);
}

/** Id of the last start marker in [floor, size), or null. */
export async function lastStartBackward(
  fd: fsp.FileHandle,
  size: number,
  floor: number,
): Promise<number | null> {
  let found: number | null = null;
  await scanMarkersBackward(fd, size, floor, (entry) => {
    if (entry.kind !== "start") return false;
    found = entry.runId;
    return true;
  });
  return found;
}

/**
 * Backwards from EOF to run `runId`'s (last) start marker. Also returns the complete blocks passed on
 * the way (`discovered`), for the caller to index so their next lookup is direct.
 */
export async function locateByScan(
  fd: fsp.FileHandle,
  size: number,
  runId: number,
): Promise<{ located: Located | null; discovered: IndexEntry[] }> {
  const ends = new Map<number, number>(); // run → offset just past its nearest end marker seen so far
  const discovered: IndexEntry[] = [];
  let located: Located | null = null;
  await scanMarkersBackward(fd, size, 0, (entry, lineEnd) => {
    if (entry.kind === "end") {
      ends.set(entry.runId, lineEnd);
    } else if (entry.kind === "start") {
      const offset = entry.offset;
      const end = ends.get(entry.runId);
      ends.delete(entry.runId);
      if (end !== undefined) discovered.push({ run: entry.runId, start: offset, end });
      if (entry.runId === runId) {
        located = { start: offset, endLineEnd: end ?? null };
        return true;
      }
    }
    return false;
  });
  return { located, discovered };
}
