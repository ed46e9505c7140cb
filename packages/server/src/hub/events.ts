import { randomBytes } from "node:crypto";
import type { HubStreamEventData } from "@codex-autorunner/core";
import type { HubRegistryApi, HubRegistryEvent } from "@codex-autorunner/core/node";
import { encodeFrame } from "../sse/writer.js";

/** One event of `GET /hub/stream`, encoded once for every subscriber. */
export interface HubStreamEntry {
  seq: number;
  /** `<boot>.<seq>`. */
  id: string;
  bytes: Uint8Array;
}

export type HubEventListener = (entry: HubStreamEntry) => void;

/** How many events a reconnecting client can catch up on. */
const HUB_RING_SIZE = 1000;

/**
 * The hub stream's events: every registry change gets an id `<boot>.<seq>` (boot is random per hub
 * process, so an id from another hub or an earlier one is never mistaken for one of ours) and is kept
 * in a ring of the last `HUB_RING_SIZE`, from which a client that reconnects with `Last-Event-ID` gets
 * what it missed. Listens to the registry for the app's lifetime, so the ring fills with nobody
 * connected too (a phone that slept still catches up).
 */
export class HubEventLog {
  readonly boot = randomBytes(6).toString("hex");
  private seq = 0;
  private readonly ring: HubStreamEntry[] = [];
  private readonly listeners = new Set<HubEventListener>();
  private readonly unsubscribe: () => void;

  constructor(registry: HubRegistryApi) {
    this.unsubscribe = registry.subscribe((event) => this.push(event));
  }

  /** The seq of the latest event (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: HubEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The events after `lastId`, or null when they cannot be replayed (another boot's id, a gap the
   * ring no longer covers, an id from the future, or not an id at all): the client then starts over
   * with a `repos` snapshot.
   */
  since(lastId: string): HubStreamEntry[] | null {
    const m = /^([0-9a-f]+)\.(\d{1,15})$/.exec(lastId);
    if (!m || m[1] !== this.boot) return null;
    const after = Number(m[2]);
    if (after > this.seq) return null;
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (after < oldest - 1) return null;
    return this.ring.filter((e) => e.seq > after);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private push(event: HubRegistryEvent): void {
    const seq = ++this.seq;
    const id = `${this.boot}.${seq}`;
    const data: HubStreamEventData["repo"] | HubStreamEventData["removed"] =
      event.type === "repo"
        ? { repo: event.repo, active_runs: event.activeRuns }
        : { id: event.id, active_runs: event.activeRuns };
    const entry = { seq, id, bytes: encodeFrame({ event: event.type, id, data }) };
    this.ring.push(entry);
    if (this.ring.length > HUB_RING_SIZE) this.ring.shift();
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch (err) {
        console.error("codex-autorunner hub: SSE listener failed:", err);
      }
    }
  }
}
