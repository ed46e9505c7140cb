import { stat } from "node:fs/promises";
import type { LogEntry } from "@codex-autorunner/core";
import { followLog, type LogFollower } from "@codex-autorunner/core/node";
import { lineStartAtOrBefore, type StreamEntry, withIds } from "./ids.js";

/**
 * The hub's log side: one follower of the log, turning new lines into id'd batches (see ids.ts) and
 * a truncation or rotation into a new generation. Kept between follows (the hub stops it when idle),
 * so ids keep growing across restarts of the follower within one server.
 */
export interface LogFeedSink {
  /** New lines, coalesced (one shared array per batch: encoded once for every subscriber). */
  lines(entries: StreamEntry[]): void;
  /** The log was truncated or replaced; `id` is the new generation's base. */
  reset(id: number): void;
}

/**
 * Under a steady stream, live lines go out at most once per this many ms (the first after a pause goes
 * at once). Every batch costs one write(2) per subscriber, and a follower wakes up for every append:
 * with 100 subscribers and an agent writing every millisecond, 100,000 socket writes a second were
 * most of the server's time. Coalescing bounds that and adds at most this much latency.
 */
const COALESCE_MS = 2;

export class LogFeed {
  /** Virtual offset of the current generation's byte 0. */
  base = 0;
  /** Byte offset (in the current file) up to which lines have been handed on. */
  position = 0;
  generation = 0;
  private logPath: string | null = null;
  private ino: number | null = null;
  private following = false;
  private follower: AbortController | null = null;
  private followerHandle: LogFollower | null = null;
  /** Live lines not yet handed on (coalescing; `position` already counts them). */
  private held: StreamEntry[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlush = 0;

  constructor(private readonly sink: LogFeedSink) {}

  /**
   * Positions the feed at the log's current end (a line start: a line the runner is half-way through
   * writing is delivered when complete). A log that shrank or is another file since the last follow
   * starts a new generation.
   */
  async open(logPath: string): Promise<void> {
    const st = await stat(logPath).catch(() => null);
    const size = st ? await lineStartAtOrBefore(logPath, st.size) : 0;
    const ino = st?.ino ?? null;
    if (this.logPath !== null && (logPath !== this.logPath || ino !== this.ino || size < this.position)) {
      this.newGeneration();
    }
    this.logPath = logPath;
    this.ino = ino;
    this.position = size;
  }

  /** Follows the log opened last from the feed's position. */
  follow(): void {
    const logPath = this.logPath;
    if (logPath === null) throw new Error("log feed not opened");
    const follower = new AbortController();
    this.follower = follower;
    this.followerHandle = followLog(logPath, {
      from: this.position,
      signal: follower.signal,
      onEntries: (entries: LogEntry[]) => this.onEntries(entries),
      onReset: () => this.onReset(),
      onError: (err: unknown) => {
        if (!follower.signal.aborted) console.error("codex-autorunner server: log follower:", err);
      },
    });
    this.following = true;
  }

  stop(): void {
    this.following = false;
    this.follower?.abort();
    this.follower = null;
    this.followerHandle = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.held = []; // nobody is listening; the next follow starts at the log's end
  }

  /** Hands on the held live lines as one batch now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.held.length === 0) return;
    const entries = this.held;
    this.held = [];
    this.lastFlush = performance.now();
    this.sink.lines(entries);
  }

  private onEntries(entries: LogEntry[]): void {
    if (!this.following) return;
    // The follower's cursor is already just past the last of these lines.
    const next = this.followerHandle?.cursor ?? this.position;
    const out = withIds(entries, next, this.base).filter((item) => item.id > this.base + this.position);
    if (out.length === 0) return;
    this.position = out[out.length - 1]!.id - this.base;
    if (this.held.length === 0) this.held = out;
    else for (const item of out) this.held.push(item);
    if (this.flushTimer) return;
    const wait = this.lastFlush + COALESCE_MS - performance.now();
    if (wait <= 0) this.flush();
    else
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, wait);
  }

  private newGeneration(): void {
    this.base = this.base + this.position + 1;
    this.position = 0;
    this.generation += 1;
  }

  private onReset(): void {
    if (!this.following || this.logPath === null) return;
    this.newGeneration();
    stat(this.logPath)
      .then((st) => {
        this.ino = st.ino;
      })
      .catch(() => {
        this.ino = null;
      });
    this.sink.reset(this.base);
  }
}
