import { promises as fsp } from "node:fs";
import { parseLogLine } from "../../log/format.js";
import { formatIndexEntry, parseIndex, parseIndexLine } from "../../log/index-format.js";
import type { LogEntry } from "../../types.js";
import { isErrno } from "../fs/atomic.js";

const CHUNK = 64 * 1024;
const NL = 0x0a;
const EMPTY = Buffer.alloc(0);

interface IndexedRun {
  run: number;
  start: number;
  end: number | null;
}

interface Located {
  start: number;
  /** Offset just past the end marker line (its newline included), when the run has ended. */
  endLineEnd: number | null;
}

export interface ReadFromResult {
  entries: LogEntry[];
  /** Cursor just past the last complete line returned (pass it to the next call). */
  next: number;
  /** Log size when read. */
  size: number;
}

/**
 * Reads `codex-autorunner.log` without reading the whole file: a run's block, the last N lines, the
 * last run id and the previous run's output cost time proportional to what they return (plus the
 * size of the last run for `lastRunId` when the index does not show it open), never to the log's size.
 *
 * Run blocks are found through the index beside the log when it is valid (each entry is verified by
 * reading the marker at its offset; an index pointing past the end of the log is ignored), else by
 * scanning backwards from the end in 64 KiB chunks, which also works for logs written by the original
 * tool. Complete blocks found by scanning are appended to the index so the next lookup is direct.
 */
export class LogReader {
  private indexCache: { key: string; runs: Map<number, IndexedRun> | null } | null = null;

  constructor(
    readonly logPath: string,
    readonly indexPath: string,
  ) {}

  /** Run `runId`'s block: start marker through end marker (to EOF while it is open), or null. */
  async readRun(runId: number): Promise<string | null> {
    return this.withLog(null, async (fd, size) => {
      const loc = await this.locate(fd, size, runId);
      if (!loc) return null;
      const endAt = loc.endLineEnd ?? (await findEndForward(fd, size, loc.start, runId));
      return (await readRange(fd, loc.start, endAt)).toString("utf8");
    });
  }

  /** The last `n` lines of the log, as they are in the file. */
  async tail(n: number): Promise<string> {
    if (!Number.isFinite(n) || n <= 0) return "";
    return this.withLog("", async (fd, size) => {
      const from = await nthLineStartFromEnd(fd, size, n);
      return (await readRange(fd, from, size)).toString("utf8");
    });
  }

  /** Id of the last run started in the log, or null when there is none. */
  async lastRunId(): Promise<number | null> {
    return this.withLog(null, async (fd, size) => {
      let floor = 0;
      let candidate: number | null = null;
      const runs = await this.loadIndex(size);
      if (runs) {
        const latest = [...runs.values()].reduce<IndexedRun | null>(
          (a, b) => (!a || b.start > a.start ? b : a),
          null,
        );
        if (latest && (await isMarkerAt(fd, size, latest.start, "start", latest.run))) {
          // An open run in the index is the writer's current run: nothing can follow it.
          if (latest.end === null) return latest.run;
          // Runs the index does not know (written by the original, or added lazily) can only start
          // after the latest known start: scan from there.
          candidate = latest.run;
          floor = latest.start;
        }
      }
      let found: number | null = null;
      await scanMarkersBackward(fd, size, floor, (entry) => {
        if (entry.kind === "start") {
          found = entry.runId;
          return true;
        }
        return false;
      });
      return found ?? candidate;
    });
  }

  /**
   * Run `runId`'s agent output (stdout and stderr lines, log prefixes stripped), the last `maxChars`
   * characters of it; "" when the run is not in the log. Reads backwards from the block's end.
   */
  async prevRunOutput(runId: number, maxChars: number): Promise<string> {
    if (maxChars <= 0) return "";
    return this.withLog("", async (fd, size) => {
      const loc = await this.locate(fd, size, runId);
      if (!loc) return "";
      const blockEnd = loc.endLineEnd ?? size;
      const parts: string[] = [];
      let chars = 0;
      await scanBackward(fd, blockEnd, loc.start, (line, offset) => {
        const entry = parseLogLine(line.toString("utf8"), offset);
        if (entry.kind === "line" && entry.runId === runId) {
          parts.push(entry.line);
          chars += entry.line.length + 1;
        }
        return chars > maxChars;
      });
      const text = parts.reverse().join("\n");
      return text.length > maxChars ? text.slice(text.length - maxChars) : text;
    });
  }

  /** Parsed complete lines starting at byte `offset` (SSE replay). At most `limit` entries. */
  async entriesFrom(offset: number, limit = 1000): Promise<LogEntry[]> {
    return (await this.readFrom(offset, limit)).entries;
  }

  /**
   * Like `entriesFrom`, also returning the cursor after the last line. An offset inside a line
   * resumes at the next line; an offset past the end returns nothing (the log was truncated).
   */
  async readFrom(offset: number, limit = 1000): Promise<ReadFromResult> {
    return this.withLog({ entries: [], next: offset, size: 0 }, (fd, size) =>
      readEntriesFromHandle(fd, size, offset, limit),
    );
  }

  private async withLog<T>(missing: T, fn: (fd: fsp.FileHandle, size: number) => Promise<T>): Promise<T> {
    let fd: fsp.FileHandle;
    try {
      fd = await fsp.open(this.logPath, "r");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return missing;
      throw err;
    }
    try {
      const { size } = await fd.stat();
      return await fn(fd, size);
    } finally {
      await fd.close();
    }
  }

  private async locate(fd: fsp.FileHandle, size: number, runId: number): Promise<Located | null> {
    // Cheap first: the run's latest index line, read from the end of the index (a lookup of a recent
    // run reads a few KiB, not the whole index). Its offsets are verified against the log's markers,
    // so a wrong or stale line only costs the full path below.
    const quick = await this.verified(fd, size, runId, await lastIndexEntryFor(this.indexPath, runId));
    if (quick) return quick;
    const runs = await this.loadIndex(size);
    const hit = await this.verified(fd, size, runId, runs?.get(runId));
    if (hit) return hit;
    if (size > BISECT_MIN_LOG) {
      const bisected = await this.locateByBisect(fd, size, runId, runs !== null);
      if (bisected) return bisected;
    }
    return this.locateByScan(fd, size, runId, runs !== null);
  }

  /** A log without a usable index entry for the run (e.g. the original's): bisect, then index it. */
  private async locateByBisect(
    fd: fsp.FileHandle,
    size: number,
    runId: number,
    indexUsable: boolean,
  ): Promise<Located | null> {
    const start = await bisectRunStart(fd, size, runId, BISECT_WINDOW);
    if (start === null) return null;
    const end = await findEndForward(fd, size, start, runId, true);
    if (end !== null) await this.remember([{ run: runId, start, end }], indexUsable);
    return { start, endLineEnd: end };
  }

  /** `hit` as a located block when the log has run `runId`'s start marker at its offset. */
  private async verified(
    fd: fsp.FileHandle,
    size: number,
    runId: number,
    hit: IndexedRun | null | undefined,
  ): Promise<Located | null> {
    if (!hit || hit.start >= size || !(await isMarkerAt(fd, size, hit.start, "start", runId))) return null;
    if (hit.end !== null && (await isEndMarkerBefore(fd, size, hit.end, runId))) {
      return { start: hit.start, endLineEnd: hit.end };
    }
    return { start: hit.start, endLineEnd: null };
  }

  /** Backwards from EOF to run `runId`'s (last) start marker; complete blocks passed are indexed. */
  private async locateByScan(
    fd: fsp.FileHandle,
    size: number,
    runId: number,
    indexUsable: boolean,
  ): Promise<Located | null> {
    const ends = new Map<number, number>(); // run → offset just past its nearest end marker seen so far
    const discovered: IndexedRun[] = [];
    let result: Located | null = null;
    await scanMarkersBackward(fd, size, 0, (entry, lineEnd) => {
      if (entry.kind === "end") {
        ends.set(entry.runId, lineEnd);
      } else if (entry.kind === "start") {
        const offset = entry.offset;
        const end = ends.get(entry.runId);
        ends.delete(entry.runId);
        if (end !== undefined) discovered.push({ run: entry.runId, start: offset, end });
        if (entry.runId === runId) {
          result = { start: offset, endLineEnd: end ?? null };
          return true;
        }
      }
      return false;
    });
    if (discovered.length > 0) await this.remember(discovered, indexUsable);
    return result;
  }

  /** Append blocks found by scanning to a usable (or absent) index; derived data, failures ignored. */
  private async remember(found: IndexedRun[], indexUsable: boolean): Promise<void> {
    const known = this.indexCache?.runs;
    const fresh = found.filter((f) => {
      const k = known?.get(f.run);
      return !k || k.start !== f.start || k.end !== f.end;
    });
    // A stale index is left for the writer to reset when it opens (it holds the runner lock; a
    // reader truncating it could race with the writer's appends).
    if (fresh.length === 0 || (!indexUsable && (await exists(this.indexPath)))) return;
    const text = fresh
      .sort((a, b) => a.start - b.start)
      .map((f) => formatIndexEntry(f))
      .join("");
    await fsp.appendFile(this.indexPath, text).catch(() => {});
    this.indexCache = null;
  }

  /**
   * The index as a map run → latest block (empty when there is no index), or null when it is
   * unreadable or stale (an entry pointing past the end of the log: it was truncated or rotated).
   */
  private async loadIndex(logSize: number): Promise<Map<number, IndexedRun> | null> {
    let st: { size: number; mtimeMs: number; ino: number };
    try {
      st = await fsp.stat(this.indexPath);
    } catch {
      return new Map();
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}:${logSize}`;
    if (this.indexCache?.key === key) return this.indexCache.runs;
    let runs: Map<number, IndexedRun> | null = new Map();
    try {
      const entries = parseIndex(await fsp.readFile(this.indexPath, "utf8"));
      const beyond = (e: IndexedRun, size: number) => e.start >= size || (e.end !== null && e.end > size);
      // Entries past our snapshot of the log may just be newer than it (the writer appended since):
      // only a log that is smaller right now than what the index describes makes the index stale.
      if (entries.some((e) => beyond(e, logSize))) {
        const now = await fsp.stat(this.logPath).then(
          (s) => s.size,
          () => 0,
        );
        if (entries.some((e) => beyond(e, now))) runs = null;
      }
      if (runs) {
        for (const e of entries) {
          if (e.start < logSize) runs.set(e.run, { run: e.run, start: e.start, end: e.end });
        }
      }
    } catch {
      runs = null;
    }
    this.indexCache = { key, runs };
    return runs;
  }
}

function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    () => true,
    () => false,
  );
}

function isMarker(entry: LogEntry, kind: "start" | "end", runId: number): boolean {
  return entry.kind === kind && entry.runId === runId;
}

async function isMarkerAt(
  fd: fsp.FileHandle,
  size: number,
  offset: number,
  kind: "start" | "end",
  runId: number,
): Promise<boolean> {
  const line = await lineAt(fd, size, offset);
  return line !== null && isMarker(line.entry, kind, runId);
}

/** Whether the line ending (with its "\n") exactly at `lineEnd` is run `runId`'s end marker. */
async function isEndMarkerBefore(
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

/** The line starting exactly at `offset` (which must follow a newline), if it is short. */
async function lineAt(
  fd: fsp.FileHandle,
  size: number,
  offset: number,
): Promise<{ entry: LogEntry; lineEnd: number } | null> {
  if (offset < 0 || offset >= size) return null;
  const from = Math.max(0, offset - 1);
  const buf = await readRange(fd, from, Math.min(size, offset + 512));
  if (offset > 0 && buf[0] !== NL) return null;
  const body = offset > 0 ? buf.subarray(1) : buf;
  const nl = body.indexOf(NL);
  const line = nl >= 0 ? body.subarray(0, nl) : body;
  if (nl < 0 && offset + body.length < size) return null; // longer than a marker
  return {
    entry: parseLogLine(line.toString("utf8"), offset),
    lineEnd: offset + line.length + (nl >= 0 ? 1 : 0),
  };
}

async function readRange(fd: fsp.FileHandle, start: number, end: number): Promise<Buffer> {
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

/**
 * Visit the lines of [floor, end) from the last to the first, reading 64 KiB chunks backwards.
 * `visit(line, offset)` gets the line without its newline; returning true stops. A final empty
 * segment after a trailing newline is not a line. `floor` must be a line start.
 */
async function scanBackward(
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
async function nthLineStartFromEnd(fd: fsp.FileHandle, size: number, n: number): Promise<number> {
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
 * starting with "=== run ", the common prefix of START_RE and END_RE), found by a byte search:
 * agent lines are neither split nor decoded. Same lines, same order, same parse as the full scan.
 * `visit(entry, lineEnd)` gets the parsed line and the offset just past it (its "\n" included, capped
 * at `end`); returning true stops.
 */
async function scanMarkersBackward(
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

/** Whole lines exactly as `formatIndexEntry` writes them (ASCII only), each with its "\n". */
const CANONICAL_INDEX_LINES = /^(?:\{"run":\d+,"start":\d+,"end":(?:\d+|null)\}\n)*$/;

/**
 * The entry the whole-index parse (`parseIndex`: the last valid line for a run wins) would give for
 * `runId`, found by reading the index backwards from its end and stopping at that run's last valid
 * line. A stretch of lines as `formatIndexEntry` writes them is searched as text for the run's
 * `{"run":N,` prefix; any other line goes through `parseIndexLine` one by one, so hand-edited or torn
 * lines count exactly as in the full parse. Null when the index is missing or has no valid line for it.
 */
async function lastIndexEntryFor(indexPath: string, runId: number): Promise<IndexedRun | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(indexPath, "r");
  } catch {
    return null;
  }
  try {
    const { size } = await fh.stat();
    const needle = `{"run":${runId},`;
    const lineFor = (raw: string): IndexedRun | null => {
      const entry = parseIndexLine(raw.trim());
      return entry && entry.run === runId ? entry : null;
    };
    let pos = size;
    let carry: Buffer = EMPTY; // start of the line cut by the previous (later) chunk's start
    let first = true;
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK);
      const read = await readRange(fh, start, pos);
      let buf = carry.length > 0 ? Buffer.concat([read, carry]) : read;
      if (first) {
        first = false;
        // A last line without "\n" (torn by a crash, or not): on its own, like the full parse.
        const lastNl = buf.lastIndexOf(NL);
        if (lastNl < buf.length - 1 && (start === 0 || lastNl >= 0)) {
          const hit = lineFor(buf.subarray(lastNl + 1).toString("utf8"));
          if (hit) return hit;
          buf = buf.subarray(0, lastNl + 1);
        }
      }
      // Whole lines: from just after the first "\n" (or the file's start) to the end of `buf`.
      const cut = start === 0 ? 0 : buf.indexOf(NL) + 1;
      if (cut === 0 && start > 0) {
        carry = buf; // one line longer than a chunk: keep collecting it
        pos = start;
        continue;
      }
      const region = buf.subarray(cut);
      const text = region.toString("latin1");
      if (CANONICAL_INDEX_LINES.test(text)) {
        for (let i = text.lastIndexOf(needle); i >= 0; i = i > 0 ? text.lastIndexOf(needle, i - 1) : -1) {
          const hit = lineFor(text.slice(i, text.indexOf("\n", i)));
          if (hit) return hit;
        }
      } else {
        const lines = region.toString("utf8").split("\n");
        for (let k = lines.length - 1; k >= 0; k--) {
          const hit = lineFor(lines[k]!);
          if (hit) return hit;
        }
      }
      carry = buf.subarray(0, cut);
      pos = start;
    }
    return null;
  } finally {
    await fh.close();
  }
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
async function findEndForward(
  fd: fsp.FileHandle,
  size: number,
  start: number,
  runId: number,
  nullWhenOpen: true,
): Promise<number | null>;
async function findEndForward(
  fd: fsp.FileHandle,
  size: number,
  start: number,
  runId: number,
): Promise<number>;
async function findEndForward(
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

/** Logs at least this big are bisected before any backwards scan (below, a scan is as cheap). */
const BISECT_MIN_LOG = 8 * 1024 * 1024;
/** The bisection stops when the run's start marker is known to lie in a window this small. */
const BISECT_WINDOW = 256 * 1024;
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
