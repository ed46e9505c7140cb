import { type CarPaths, carPaths } from "@codex-autorunner/core/node";
import type { AppContext } from "../context.js";
import type { StateBody } from "../routes/state.js";
import type { StreamEntry } from "./ids.js";
import { LogFeed } from "./log-feed.js";
import { StateWatcher } from "./state-watcher.js";

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

/**
 * One log follower (log-feed.ts), one `.codex-autorunner/` watcher (state-watcher.ts) and one
 * heartbeat timer shared by every SSE subscriber, started by the first and released by the last (100
 * subscribers cost one watcher).
 *
 * Event ids are *virtual offsets* (see ids.ts): `base + end offset of the line`. `base` starts at 0,
 * so while the log is only appended to, an id is the byte offset just past its line. When the log is
 * truncated or rotated the hub starts a new generation: `base` moves past every id handed out so far
 * (`base = old base + old position + 1`) and a `reset` event carries the new base as its id, so ids
 * never go backwards while the server runs.
 */
export class StreamHub {
  private readonly listeners = new Set<HubListener>();
  private starting: Promise<void> | null = null;
  private active = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private paths: CarPaths | null = null;
  private disposed = false;
  private readonly log = new LogFeed({
    lines: (entries) => this.broadcast({ type: "log", entries }),
    reset: (id) => this.broadcast({ type: "reset", id, reason: "log truncated or rotated" }),
  });
  private readonly state: StateWatcher;

  constructor(private readonly ctx: AppContext) {
    this.state = new StateWatcher(ctx.root, (body) => this.broadcast({ type: "state", body }));
  }

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
    const { base, position, generation } = this.log;
    return { base, position, generation, paths: this.paths };
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
    await this.log.open(paths.log);
    this.paths = paths;
    await this.state.prime();
    if (this.listeners.size === 0) return; // everyone left while we were reading config
    this.log.follow();
    this.state.start(paths);
    this.heartbeat = setInterval(() => this.tick(), this.ctx.sseHeartbeatMs);
    this.active = true;
  }

  private stop(): void {
    this.active = false;
    this.log.stop();
    this.state.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private broadcast(message: HubMessage): void {
    // Held lines go first: a reset, state or ping never overtakes lines read before it.
    if (message.type !== "log") this.log.flush();
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch (err) {
        console.error("codex-autorunner server: SSE listener failed:", err);
      }
    }
  }

  /** Heartbeat: ping everyone, and let the state watcher re-attach and re-check. */
  private tick(): void {
    if (!this.active) return;
    this.broadcast({ type: "ping", ts: this.ctx.clock().toISOString() });
    this.state.tick();
  }
}
