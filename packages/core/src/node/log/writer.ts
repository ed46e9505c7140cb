import { promises as fsp } from "node:fs";
import {
  formatEndMarker,
  formatLogLine,
  formatStartMarker,
  formatTimestamp,
  sanitizeAgentLine,
} from "../../log/format.js";
import { formatIndexEntry, parseIndex } from "../../log/index-format.js";
import type { LogStream } from "../../types.js";
import { isErrno } from "../fs/atomic.js";

/** Pending bytes that trigger a write without waiting for the timer. */
const FLUSH_BYTES = 64 * 1024;
/** Longest a line waits in the buffer. */
const FLUSH_MS = 50;

/**
 * Appends to `codex-autorunner.log` in the original's line format through one fd opened in append
 * mode, batching agent lines (flushed at 64 KiB or after 50 ms) and keeping the index beside the log
 * (`{run, start, end}` JSON lines, see log/index-format.ts: an entry when a run starts, another when
 * it ends) so readers find a
 * run's block without scanning. Every method tells the byte offset where its (first) line starts.
 *
 * Memory stays bounded however many lines arrive: `line()` resolves only once the buffer is below the
 * flush threshold again, so a caller that awaits it is slowed to the disk's pace.
 */
export class LogWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Byte offset where the next appended byte will land (file size + pending). */
  private end: number;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Chunks handed to the write chain and not yet written. */
  private inFlight = 0;
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
  }

  static async open(logPath: string, indexPath: string): Promise<LogWriter> {
    const fd = await fsp.open(logPath, "a");
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
   * Buffer one agent line (sanitised: may become several log lines). Returns the offset of the first
   * log line it produced; waits for the disk when the buffer is full.
   */
  async line(runId: number, stream: LogStream, text: string): Promise<number> {
    this.assertOpen();
    const ts = this.timestamp();
    let first = -1;
    for (const piece of sanitizeAgentLine(text)) {
      const at = this.enqueue(withNewline(formatLogLine(ts, runId, stream, piece)));
      if (first < 0) first = at;
    }
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
    else this.schedule();
    return first;
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

  /** Write everything buffered. */
  async flush(): Promise<void> {
    this.clearTimer();
    if (this.pending.length > 0) {
      const chunk = this.pending.join("");
      this.pending = [];
      this.pendingBytes = 0;
      this.inFlight++;
      this.chain = this.chain.then(() => this.append(chunk)).finally(() => this.inFlight--);
    }
    await this.chain;
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
    if (this.pending.length === 0 && this.inFlight === 0) {
      const { size } = await this.fd.stat();
      if (this.pending.length === 0 && this.inFlight === 0 && size !== this.end) this.end = size;
    }
    const offset = this.enqueue(withNewline(text));
    await this.flush();
    return offset;
  }

  /** Buffer `line` (ending in "\n"); returns the offset it will land at. */
  private enqueue(line: string): number {
    if (this.needsNewline) {
      this.needsNewline = false;
      this.enqueue("\n");
    }
    const offset = this.end;
    this.pending.push(line);
    const bytes = Buffer.byteLength(line, "utf8");
    this.pendingBytes += bytes;
    this.end += bytes;
    return offset;
  }

  private async append(chunk: string): Promise<void> {
    if (this.failure) return;
    try {
      const buf = Buffer.from(chunk, "utf8");
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await this.fd.write(buf, done, buf.length - done);
        done += bytesWritten;
      }
    } catch (err) {
      this.failure = err;
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

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => {});
    }, FLUSH_MS);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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
