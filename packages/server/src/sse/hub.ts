import { type FSWatcher, watch } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { LogEntry } from "@codex-autorunner/core";
import { type CarPaths, carPaths, followLog, type LogFollower } from "@codex-autorunner/core/node";
import type { AppContext } from "../context.js";
import { readStateBody, type StateBody } from "../routes/state.js";
import { lineStartAtOrBefore, withIds } from "./ids.js";

/**
 * One log follower, one `.codex-autorunner/` watcher and one heartbeat timer shared by every SSE
 * subscriber, started by the first and released by the last (100 subscribers cost one watcher).
 *
 * Event ids are *virtual offsets* (see ids.ts): `base + end offset of the line`. `base` starts at 0,
 * so while the log is only appended to, an id is the byte offset just past its line. When the log is
 * truncated or rotated the hub starts a new generation: `base` moves past every id handed out so far
 * (`base = old base + old position + 1`) and a `reset` event carries the new base as its id, so ids
 * never go backwards while the server runs.
 */
export interface StreamEntry {
  id: number;
  entry: LogEntry;
}

export type HubMessage =
  | { type: "log"; entries: StreamEntry[] }
  | { type: "reset"; id: number; reason: string }
  | { type: "state"; body: StateBody }
  | { type: "ping"; ts: string };

export type HubListener = (message: HubMessage) => void;

export interface HubSnapshot {
  /** Virtual offset of the current generation's byte 0. */
  base: number;
  /** Byte offset (in the current file) up to which the hub has delivered lines. */
  position: number;
  generation: number;
  paths: CarPaths;
}

export interface Subscription {
  snapshot: HubSnapshot;
  unsubscribe(): void;
}

const STATE_DEBOUNCE_MS = 40;
/**
 * Under a steady stream, live lines go out at most once per this many ms (the first after a pause goes
 * at once). Every batch costs one write(2) per subscriber, and a follower wakes up for every append:
 * with 100 subscribers and an agent writing every millisecond, 100,000 socket writes a second were
 * most of the server's time. Coalescing bounds that and adds at most this much latency.
 */
const COALESCE_MS = 2;

export class StreamHub {
  private readonly listeners = new Set<HubListener>();
  private starting: Promise<void> | null = null;
  private active = false;
  private follower: AbortController | null = null;
  private followerHandle: LogFollower | null = null;
  private watcher: FSWatcher | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private paths: CarPaths | null = null;
  private base = 0;
  private position = 0;
  private generation = 0;
  private ino: number | null = null;
  private lastStateJson: string | null = null;
  private stateBusy = false;
  private stateDirty = false;
  private disposed = false;
  /** Live lines not yet broadcast (coalescing; `position` already counts them). */
  private held: StreamEntry[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlush = 0;

  constructor(private readonly ctx: AppContext) {}

  /** Number of live subscribers (tests and diagnostics). */
  get size(): number {
    return this.listeners.size;
  }

  /** Whether the shared follower/watcher/timer are currently held. */
  get isActive(): boolean {
    return this.active;
  }

  snapshot(): HubSnapshot {
    if (!this.paths) throw new Error("stream hub not started");
    return { base: this.base, position: this.position, generation: this.generation, paths: this.paths };
  }

  async subscribe(listener: HubListener): Promise<Subscription> {
    this.listeners.add(listener);
    let done = false;
    const unsubscribe = () => {
      if (done) return;
      done = true;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
    if (this.disposed) throw new Error("the server is shutting down");
    try {
      while (!this.active) {
        this.starting ??= this.start().finally(() => {
          this.starting = null;
        });
        await this.starting;
        // closeAll() while we were starting: give up rather than start again.
        if (!this.listeners.has(listener)) throw new Error("the server is shutting down");
      }
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return { snapshot: this.snapshot(), unsubscribe };
  }

  /** Ends every subscription and refuses new ones (app shutdown). */
  closeAll(): void {
    this.disposed = true;
    this.listeners.clear();
    this.stop();
  }

  private async start(): Promise<void> {
    const paths = carPaths(this.ctx.root, await this.ctx.getConfig());
    const st = await stat(paths.log).catch(() => null);
    // Start at a line start: a line the runner is half-way through writing is delivered when complete.
    const size = st ? await lineStartAtOrBefore(paths.log, st.size) : 0;
    const ino = st?.ino ?? null;
    // Restarting after idle: a log that shrank or is another file since is a new generation.
    if (this.paths && (paths.log !== this.paths.log || ino !== this.ino || size < this.position)) {
      this.newGeneration();
    }
    this.paths = paths;
    this.ino = ino;
    this.position = size;
    // The state every subscriber starts from; later changes are compared against it.
    this.lastStateJson = await readStateBody(this.ctx.root)
      .then((body) => JSON.stringify(body))
      .catch(() => null);
    if (this.listeners.size === 0) return; // everyone left while we were reading config

    const follower = new AbortController();
    this.follower = follower;
    this.followerHandle = followLog(paths.log, {
      from: size,
      signal: follower.signal,
      onEntries: (entries: LogEntry[]) => this.onEntries(entries),
      onReset: () => this.onReset(),
      onError: (err: unknown) => {
        if (!follower.signal.aborted) console.error("codex-autorunner server: log follower:", err);
      },
    });
    this.watchDir();
    this.heartbeat = setInterval(() => this.tick(), this.ctx.sseHeartbeatMs);
    this.active = true;
  }

  private stop(): void {
    this.active = false;
    this.follower?.abort();
    this.follower = null;
    this.followerHandle = null;
    this.watcher?.close();
    this.watcher = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.held = []; // nobody is listening; a restart re-reads the log's end
    this.lastStateJson = null;
  }

  private broadcast(message: HubMessage): void {
    // Held lines go first: a reset, state or ping never overtakes lines read before it.
    if (message.type !== "log") this.flush();
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch (err) {
        console.error("codex-autorunner server: SSE listener failed:", err);
      }
    }
  }

  private onEntries(entries: LogEntry[]): void {
    if (!this.active) return;
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

  /** Broadcasts the held live lines as one batch (one shared array: encoded once for everyone). */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.held.length === 0) return;
    const entries = this.held;
    this.held = [];
    this.lastFlush = performance.now();
    this.broadcast({ type: "log", entries });
  }

  private newGeneration(): void {
    this.base = this.base + this.position + 1;
    this.position = 0;
    this.generation += 1;
  }

  private onReset(): void {
    if (!this.active) return;
    this.newGeneration();
    stat(this.paths!.log)
      .then((st) => {
        this.ino = st.ino;
      })
      .catch(() => {
        this.ino = null;
      });
    this.broadcast({ type: "reset", id: this.base, reason: "log truncated or rotated" });
  }

  private watchDir(): void {
    if (this.watcher || !this.paths) return;
    // Appends to the log (followed separately) and the runner's own output say nothing about state.
    const ignored = new Set([basename(this.paths.log), basename(this.paths.logIndex), "runner.out"]);
    try {
      const watcher = watch(this.paths.dir, (_event, filename) => {
        if (filename && ignored.has(filename.toString())) return;
        this.scheduleState();
      });
      watcher.on("error", () => {
        // The folder was deleted or became unreadable; the next heartbeat re-attaches.
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
        this.scheduleState();
      });
      this.watcher = watcher;
    } catch {
      this.watcher = null; // folder missing for now; retried on each heartbeat
    }
  }

  private scheduleState(): void {
    if (!this.active || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.refreshState();
    }, STATE_DEBOUNCE_MS);
  }

  /** Re-reads status and broadcasts it when it changed (one read in flight at a time). */
  private async refreshState(): Promise<void> {
    if (this.stateBusy) {
      this.stateDirty = true;
      return;
    }
    this.stateBusy = true;
    try {
      do {
        this.stateDirty = false;
        let body: StateBody;
        try {
          body = await readStateBody(this.ctx.root);
        } catch {
          continue; // e.g. state.json mid-rewrite by an older writer; the next change re-reads
        }
        const json = JSON.stringify(body);
        if (!this.active) return;
        if (json === this.lastStateJson) continue;
        this.lastStateJson = json;
        this.broadcast({ type: "state", body });
      } while (this.stateDirty && this.active);
    } finally {
      this.stateBusy = false;
    }
  }

  /** Heartbeat: ping everyone, re-attach a lost watcher, and re-check liveness (a runner that died
   * without touching its files changes nothing on disk). */
  private tick(): void {
    if (!this.active) return;
    this.broadcast({ type: "ping", ts: this.ctx.clock().toISOString() });
    this.watchDir();
    void this.refreshState();
  }
}
