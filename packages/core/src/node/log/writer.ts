import { promises as fsp } from "node:fs";
import {
  formatEndMarker,
  formatLogLine,
  formatNoteLine,
  formatStartMarker,
  formatTimestamp,
  isLogLine,
  isSanitized,
  sanitizeAgentLine,
} from "../../log/format.js";
import { formatIndexEntry, parseIndex } from "../../log/index-format.js";
import type { LogStream } from "../../types.js";
import { isErrno } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";

/**
 * Bytes queued behind an in-flight write above which `line()`/`lines()` wait for the disk. Bounds memory
 * (at most this much plus one caller's batch queued, plus the write in flight) while letting a fast
 * agent's next chunk be read and formatted during the current write.
 */
const MAX_PENDING_BYTES = 256 * 1024;
/** Writes up to this size are encoded into one buffer the writer keeps and reuses. */
const MAX_SCRATCH_BYTES = 1024 * 1024;

/**
 * Appends to `codex-autorunner.log` in the original's line format through one fd opened in append
 * mode, and keeps the index beside the log (`{run, start, end}` JSON lines, see log/index-format.ts: an
 * entry when a run starts, another when it ends) so readers find a run's block without scanning. Every
 * method tells the byte offset where its (first) line starts.
 *
 * Writes coalesce while busy: when no write is in flight, a line is handed to the file at once (a
 * follower sees it within one write, no timer); lines arriving while a write is pending are joined
 * into the next write. Memory stays bounded however many lines arrive: `line()`/`lines()` resolve
 * only once less than MAX_PENDING_BYTES wait behind the write in flight, so a caller that awaits them
 * is slowed to the disk's pace.
 */
export class LogWriter {
  /** Largest backlog (bytes queued behind the write in flight) before callers are made to wait. */
  static readonly MAX_PENDING_BYTES = MAX_PENDING_BYTES;

  /**
   * Formatted text waiting for the write in flight, encoded only when its write starts, into `scratch`:
   * no Buffer per batch is left for the garbage collector (agent output can be gigabytes).
   */
  private pending: string[] = [];
  private pendingBytes = 0;
  private scratch: Buffer | null = null;
  /** Byte offset where the next appended byte will land (file size + in flight + pending). */
  private end: number;
  /** Byte offset up to which everything was handed to the file (end − in flight − pending). */
  private written: number;
  /** The write in flight, if any; it starts the next one when it is done and more is pending. */
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  private closed = false;
  private readonly starts = new Map<number, number>();
  private tsCache = { second: -1, text: "" };

  private constructor(
    readonly logPath: string,
    readonly indexPath: string,
    private readonly fd: fsp.FileHandle,
    private readonly idx: fsp.FileHandle,
    size: number,
    private needsNewline: boolean,
  ) {
    this.end = size;
    this.written = size;
  }

  static async open(logPath: string, indexPath: string): Promise<LogWriter> {
    const fd = await fsp.open(logPath, "a").catch((err: unknown) => {
      throw fsError(err, logPath, "open");
    });
    let idx: fsp.FileHandle | undefined;
    try {
      const { size } = await fd.stat();
      // A crash mid-line leaves no trailing newline: start our first line on a fresh one.
      let needsNewline = false;
      if (size > 0) {
        const reader = await fsp.open(logPath, "r");
        try {
          const b = Buffer.alloc(1);
          await reader.read(b, 0, 1, size - 1);
          needsNewline = b[0] !== 0x0a;
        } finally {
          await reader.close();
        }
      }
      await resetStaleIndex(indexPath, size);
      idx = await fsp.open(indexPath, "a");
      return new LogWriter(logPath, indexPath, fd, idx, size, needsNewline);
    } catch (err) {
      await fd.close().catch(() => {});
      await idx?.close().catch(() => {});
      throw err;
    }
  }

  /** Bytes buffered and not yet handed to the file. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Offset the next line will get. */
  get offset(): number {
    return this.end;
  }

  /** Write `=== run N start ===` now and index it. Returns the marker's offset. */
  async startRun(runId: number): Promise<number> {
    const offset = await this.writeNow(formatStartMarker(runId));
    this.starts.set(runId, offset);
    await this.appendIndex({ run: runId, start: offset, end: null });
    return offset;
  }

  /**
   * Append one agent line (sanitised: may become several log lines). Returns the offset of the first
   * log line it produced; waits for the disk when the backlog is full.
   */
  async line(runId: number, stream: LogStream, text: string): Promise<number> {
    this.assertOpen();
    return this.lines(runId, stream, sanitizeAgentLine(text));
  }

  /**
   * Append a batch of agent lines of one stream in one go (one timestamp, one string, one enqueue):
   * what the runner does per chunk of agent output. Each text should be one line as sanitizeAgentLine
   * returns it; one that is not (a newline, CR, NUL or over MAX_LOG_LINE_CHARS) is sanitised here, so
   * the log's line format holds whatever the caller passes. Returns the offset of the first log line
   * (the current end offset for an empty batch); waits for the disk when the backlog is full.
   */
  async lines(runId: number, stream: LogStream, texts: readonly string[]): Promise<number> {
    this.assertOpen();
    if (texts.length === 0) return this.end;
    let safe = texts;
    for (const t of texts) {
      if (!isLogLine(t)) {
        safe = texts.flatMap(sanitizeAgentLine);
        break;
      }
    }
    const prefix = formatLogLine(this.timestamp(), runId, stream, "");
    return this.append(`${prefix}${safe.join(`\n${prefix}`)}\n`);
  }

  /**
   * `lines()` for lines joined by "\n" (no trailing newline; "" is one empty line), as spawnAgent's
   * `onText` hands a chunk of output: the block is formatted with one replace, no string per line.
   * Lines not as sanitizeAgentLine leaves them are sanitised here, as in `lines()`.
   */
  async block(runId: number, stream: LogStream, text: string): Promise<number> {
    this.assertOpen();
    if (!isSanitized(text)) return this.lines(runId, stream, text.split("\n"));
    const prefix = formatLogLine(this.timestamp(), runId, stream, "");
    return this.append(`${prefix}${text.replaceAll("\n", `\n${prefix}`)}\n`);
  }

  /** Write a harness note outside any run block (formatNoteLine), now. Returns its offset. */
  async note(text: string): Promise<number> {
    return this.writeNow(formatNoteLine(this.timestamp(), text));
  }

  /** Write `=== run N end (code C) ===` (after anything buffered) and index the block. */
  async endRun(runId: number, code: number | null): Promise<number> {
    const marker = withNewline(formatEndMarker(runId, code));
    const offset = await this.writeNow(marker);
    // The index's `end` is the offset just past the end marker line.
    await this.indexEnd(runId, offset + Buffer.byteLength(marker, "utf8"));
    return offset;
  }

  /** Recovery after a crashed runner: close run N's block with `=== run N end (interrupted) ===`. */
  async markInterrupted(runId: number): Promise<number> {
    return this.endRun(runId, null);
  }

  /** Write everything appended so far (waits for the writes in flight). */
  async flush(): Promise<void> {
    const target = this.end;
    this.kick();
    while (this.written < target && this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fd.close().catch(() => {});
      await this.idx.close().catch(() => {});
    }
  }

  /** Write a marker line now. Re-syncs the offset with the file first, in case it was truncated. */
  private async writeNow(text: string): Promise<number> {
    this.assertOpen();
    await this.flush();
    if (this.idle()) {
      const { size } = await this.fd.stat();
      if (this.idle() && size !== this.end) {
        this.end = size;
        this.written = size;
      }
    }
    const offset = this.enqueue(withNewline(text));
    await this.flush();
    return offset;
  }

  /**
   * Queue formatted log lines and start writing; resolves with their offset once the backlog is
   * below MAX_PENDING_BYTES (so a caller that awaits is slowed to the disk's pace).
   */
  private async append(text: string): Promise<number> {
    const first = this.enqueue(text);
    this.kick();
    while (this.pendingBytes >= MAX_PENDING_BYTES && this.writing) await this.writing;
    if (this.failure) throw this.failure;
    return first;
  }

  private idle(): boolean {
    return this.pending.length === 0 && this.writing === null;
  }

  /** Queue `text` (one or more lines, ending in "\n"); returns the offset it will land at. */
  private enqueue(text: string): number {
    if (this.needsNewline) {
      this.needsNewline = false;
      this.enqueue("\n");
    }
    const offset = this.end;
    const bytes = Buffer.byteLength(text, "utf8");
    this.pending.push(text);
    this.pendingBytes += bytes;
    this.end += bytes;
    return offset;
  }

  /** Start a write of everything pending unless one is in flight (that one calls us when done). */
  private kick(): void {
    if (this.writing !== null || this.pending.length === 0) return;
    const bytes = this.pendingBytes;
    const chunk = this.bufferFor(bytes);
    let at = 0;
    for (const text of this.pending) at += chunk.write(text, at, "utf8");
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = this.writeOut(chunk).then(() => {
      if (!this.failure) this.written += bytes;
      this.writing = null;
      this.kick();
    });
  }

  /** `bytes` to write: the reused scratch buffer (only one write is in flight), or a one-off for a huge one. */
  private bufferFor(bytes: number): Buffer {
    if (bytes > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(bytes);
    if (this.scratch === null || this.scratch.length < bytes)
      this.scratch = Buffer.allocUnsafeSlow(
        Math.min(MAX_SCRATCH_BYTES, Math.max(bytes, 2 * (this.scratch?.length ?? 32 * 1024))),
      );
    return this.scratch.subarray(0, bytes);
  }

  /** Never rejects: a failure is kept and thrown to the next caller. */
  private async writeOut(buf: Buffer): Promise<void> {
    if (this.failure) return;
    try {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await this.fd.write(buf, done, buf.length - done);
        done += bytesWritten;
      }
    } catch (err) {
      this.failure = fsError(err, this.logPath, "append to"); // e.g. a full disk, named
    }
  }

  private async indexEnd(runId: number, endOffset: number): Promise<void> {
    let start = this.starts.get(runId);
    if (start === undefined) start = (await lastIndexedStart(this.indexPath, runId)) ?? undefined;
    this.starts.delete(runId);
    // Without a known start (a run from a log without index) the reader finds the block by scanning.
    if (start !== undefined) await this.appendIndex({ run: runId, start, end: endOffset });
  }

  private async appendIndex(entry: { run: number; start: number; end: number | null }): Promise<void> {
    // The index is derived data: failing to write it must not fail the run (readers fall back).
    await this.idx.write(withNewline(formatIndexEntry(entry))).catch(() => {});
  }

  private timestamp(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.tsCache.second) this.tsCache = { second, text: formatTimestamp(new Date(now)) };
    return this.tsCache.text;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`LogWriter for ${this.logPath} is closed`);
    if (this.failure) throw this.failure;
  }
}

function withNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}

/** An index that points past the end of the log describes an older (truncated/rotated) log: drop it. */
async function resetStaleIndex(indexPath: string, logSize: number): Promise<void> {
  let text: string;
  try {
    text = await fsp.readFile(indexPath, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return;
    throw err;
  }
  let stale = false;
  try {
    stale = parseIndex(text).some((e) => e.start >= logSize || (e.end !== null && e.end > logSize));
  } catch {
    stale = true;
  }
  if (stale) await fsp.truncate(indexPath, 0);
}

async function lastIndexedStart(indexPath: string, runId: number): Promise<number | null> {
  try {
    const entries = parseIndex(await fsp.readFile(indexPath, "utf8"));
    for (let i = entries.length - 1; i >= 0; i--)
      if (entries[i]?.run === runId) return entries[i]?.start ?? null;
  } catch {
    // missing or unreadable index: unknown
  }
  return null;
}
