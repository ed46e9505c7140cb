import { stat } from "node:fs/promises";
import { LogReader } from "@codex-autorunner/core/node";
import { readStateBody } from "../routes/state.js";
import type { HubMessage, StreamHub, Subscription } from "./hub.js";
import { withIds } from "./ids.js";
import { batchBytes, entryBytes, freshSuffix, suffixBytes } from "./log-frames.js";
import type { SseWriter } from "./writer.js";

const REPLAY_BATCH = 500;
/** EventSource reconnect delay hint. */
const RETRY_MS = 2000;

/**
 * One client of `GET /api/logs/stream`: the first `event: state` (the `GET /api/state` body, with the
 * starting cursor as its id, so a client that disconnects before any log line still resumes without
 * a gap), then with a `Last-Event-ID` a replay of what it missed from the log file, then live. Hub
 * messages that arrive during the replay are held and de-duplicated by id (`lastSent`), so nothing is
 * lost or doubled.
 */
export class StreamSubscriber {
  private lastSent = -1;
  private replaying = true;
  private readonly pending: HubMessage[] = [];

  constructor(private readonly sse: SseWriter) {}

  /** The hub listener. */
  readonly receive = (message: HubMessage): void => {
    if (this.sse.closed) return;
    if (this.replaying) this.pending.push(message);
    else this.deliver(message);
  };

  /** Sends the opening frames and the replay from `lastId` (null: live only), then goes live. */
  async run(root: string, hub: StreamHub, sub: Subscription, lastId: number | null): Promise<void> {
    const { sse } = this;
    const { base, position, generation, paths } = sub.snapshot;
    sse.send({ retry: RETRY_MS, comment: "codex-autorunner log stream" });
    const initialState = await readStateBody(root).catch(() => null);
    const startCursor = lastId ?? base + position;
    if (initialState)
      sse.send({ event: "state", id: lastId === null ? startCursor : undefined, data: initialState });
    if (lastId === null) {
      this.lastSent = startCursor;
    } else {
      let from: number;
      if (lastId < base) {
        // The client's cursor is from before the last truncation: start the new file over.
        sse.send({ event: "reset", id: base, data: { reason: "log truncated or rotated" } });
        this.lastSent = base;
        from = 0;
      } else {
        const size = (await stat(paths.log).catch(() => null))?.size ?? 0;
        if (lastId - base > Math.max(size, position)) {
          // Beyond the end of the log: another server's cursor, or the log was truncated meanwhile.
          sse.send({ event: "reset", data: { reason: "cursor beyond the end of the log" } });
          this.lastSent = base;
          from = 0;
        } else {
          this.lastSent = lastId;
          from = lastId - base;
        }
      }
      const reader = new LogReader(paths.log, paths.logIndex);
      while (!sse.closed) {
        const batch = await reader.readFrom(from, REPLAY_BATCH);
        // The file was reset while we read: the held reset + live lines take over from here.
        if (hub.snapshot().generation !== generation) break;
        if (batch.entries.length === 0 || batch.next <= from) break;
        this.deliver({ type: "log", entries: withIds(batch.entries, batch.next, base) });
        from = batch.next;
        await sse.drained();
      }
    }
    this.replaying = false;
    for (const message of this.pending.splice(0)) this.deliver(message);
  }

  private deliver(message: HubMessage): void {
    const { sse } = this;
    switch (message.type) {
      case "log": {
        const entries = message.entries;
        const start = freshSuffix(entries, this.lastSent);
        if (start >= 0) {
          if (start === entries.length) return;
          this.lastSent = entries[entries.length - 1]!.id;
          // From the batch's start: the shared encoding; else (a replay meeting the live stream) the rest only.
          sse.sendBytes(start === 0 ? batchBytes(entries) : suffixBytes(entries, start));
          return;
        }
        for (const item of entries) {
          if (item.id <= this.lastSent) continue;
          this.lastSent = item.id;
          if (!sse.sendBytes(entryBytes(item))) return;
        }
        return;
      }
      case "reset":
        this.lastSent = Math.max(this.lastSent, message.id);
        sse.send({ event: "reset", id: message.id, data: { reason: message.reason } });
        return;
      case "state":
        sse.send({ event: "state", id: this.lastSent >= 0 ? this.lastSent : undefined, data: message.body });
        return;
      case "ping":
        sse.checkBacklog();
        sse.send({ event: "ping", data: { ts: message.ts } });
        return;
    }
  }
}
