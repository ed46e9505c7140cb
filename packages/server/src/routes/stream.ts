import { stat } from "node:fs/promises";
import { ServerResponse } from "node:http";
import { LogReader } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import type { HubMessage, StreamEntry, StreamHub, Subscription } from "../sse/hub.js";
import { withIds } from "../sse/ids.js";
import { encodeFrame, formatFrame, SSE_HEADERS, SseWriter } from "../sse/writer.js";
import { param } from "../validation.js";
import { intString } from "./runs.js";
import { readStateBody } from "./state.js";

const REPLAY_BATCH = 500;
/** EventSource reconnect delay hint. */
const RETRY_MS = 2000;

/** The SSE frame for one log line: markers become `event: run`, everything else `event: log`. */
export function entryFrame(item: StreamEntry) {
  const { id, entry } = item;
  switch (entry.kind) {
    case "start":
      return { event: "run", id, data: { run_id: entry.runId, phase: "start", code: null, line: entry.raw } };
    case "end":
      return {
        event: "run",
        id,
        data: { run_id: entry.runId, phase: "end", code: entry.code, line: entry.raw },
      };
    case "line":
      return {
        event: "log",
        id,
        data: { run_id: entry.runId, ts: entry.ts, stream: entry.stream, line: entry.line },
      };
    default:
      return { event: "log", id, data: { run_id: null, ts: null, stream: null, line: entry.raw } };
  }
}

/** Live entries are the same objects for every subscriber: encode each frame once. */
const encoded = new WeakMap<StreamEntry, Uint8Array>();

function entryBytes(item: StreamEntry): Uint8Array {
  let bytes = encoded.get(item);
  if (!bytes) {
    bytes = encodeFrame(entryFrame(item));
    encoded.set(item, bytes);
  }
  return bytes;
}

/**
 * A live batch is the same array for every subscriber: its frames are formatted and encoded once, as
 * one chunk, so each subscriber gets one write per batch instead of one per line.
 */
const encodedBatches = new WeakMap<readonly StreamEntry[], Uint8Array>();

function batchBytes(entries: readonly StreamEntry[]): Uint8Array {
  let bytes = encodedBatches.get(entries);
  if (!bytes) {
    let text = "";
    for (const item of entries) text += formatFrame(entryFrame(item));
    bytes = batchEncoder.encode(text);
    encodedBatches.set(entries, bytes);
  }
  return bytes;
}
const batchEncoder = new TextEncoder();

/**
 * Index of the first entry to send when every entry from there on is new to this subscriber and ids
 * increase (always so for the hub's batches and replays), else -1 (then entries go one by one).
 */
function freshSuffix(entries: readonly StreamEntry[], lastSent: number): number {
  let start = 0;
  while (start < entries.length && entries[start]!.id <= lastSent) start++;
  return lastDecrease(entries) > start ? -1 : start;
}

/** Per batch (shared by every subscriber), checked once: the last index whose id does not increase, or 0. */
const decreases = new WeakMap<readonly StreamEntry[], number>();

function lastDecrease(entries: readonly StreamEntry[]): number {
  let last = decreases.get(entries);
  if (last === undefined) {
    last = 0;
    for (let i = 1; i < entries.length; i++) if (entries[i]!.id <= entries[i - 1]!.id) last = i;
    decreases.set(entries, last);
  }
  return last;
}

/**
 * `GET /api/logs/stream`: live log over SSE (see ids.ts for the id scheme). With `Last-Event-ID` (or
 * `?last_event_id=`) it first replays what the client missed from the log file, then goes live; live
 * messages that arrive during the replay are held and de-duplicated by id, so nothing is lost or
 * doubled. The first frame is `event: state` (the `GET /api/state` body) with the starting cursor
 * as its id, so a client that disconnects before any log line still resumes without a gap.
 */
export function streamRoutes(ctx: AppContext, hub: StreamHub): Hono {
  return new Hono().get("/api/logs/stream", async (c) => {
    const lastRaw = c.req.header("last-event-id") ?? c.req.query("last_event_id");
    const lastId =
      lastRaw === undefined || lastRaw.trim() === ""
        ? null
        : param(
            "Last-Event-ID",
            lastRaw.trim(),
            intString(0, Number.MAX_SAFE_INTEGER, "an event id (an integer ≥ 0)"),
          );

    // HEAD (answered by this GET handler): the headers only; a stream nobody reads would hold a
    // subscription until the connection closes.
    if (c.req.method === "HEAD") return new Response(null, { status: 200, headers: SSE_HEADERS });

    // With @hono/node-server the raw response is in c.env: frames are written to it directly and a
    // too-slow client's socket is cut. HTTP/2 gets the web-stream body instead.
    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    const sse = new SseWriter(
      [c.req.raw.signal, ctx.signal],
      ctx.sseMaxQueuedBytes,
      outgoing instanceof ServerResponse
        ? outgoing
        : outgoing && typeof (outgoing as { destroy?: unknown }).destroy === "function"
          ? () => (outgoing as { destroy(): void }).destroy()
          : undefined,
    );
    let lastSent = -1;
    let replaying = true;
    const pending: HubMessage[] = [];

    const deliver = (message: HubMessage): void => {
      switch (message.type) {
        case "log": {
          const entries = message.entries;
          const start = freshSuffix(entries, lastSent);
          if (start >= 0) {
            if (start === entries.length) return;
            lastSent = entries[entries.length - 1]!.id;
            if (start === 0) {
              sse.sendBytes(batchBytes(entries));
            } else {
              // Overlap with what was already sent (a replay meeting the live stream): the rest only.
              let text = "";
              for (let i = start; i < entries.length; i++) text += formatFrame(entryFrame(entries[i]!));
              sse.sendBytes(batchEncoder.encode(text));
            }
            return;
          }
          for (const item of entries) {
            if (item.id <= lastSent) continue;
            lastSent = item.id;
            if (!sse.sendBytes(entryBytes(item))) return;
          }
          return;
        }
        case "reset":
          lastSent = Math.max(lastSent, message.id);
          sse.send({ event: "reset", id: message.id, data: { reason: message.reason } });
          return;
        case "state":
          sse.send({ event: "state", id: lastSent >= 0 ? lastSent : undefined, data: message.body });
          return;
        case "ping":
          sse.checkBacklog();
          sse.send({ event: "ping", data: { ts: message.ts } });
          return;
      }
    };

    let sub: Subscription;
    try {
      sub = await hub.subscribe((message) => {
        if (sse.closed) return;
        if (replaying) pending.push(message);
        else deliver(message);
      });
    } catch (err) {
      sse.close(); // releases its signal listeners; the error becomes a JSON response
      throw err;
    }
    sse.onClose(() => sub.unsubscribe());

    const run = async (): Promise<void> => {
      const { base, position, generation, paths } = sub.snapshot;
      sse.send({ retry: RETRY_MS, comment: "codex-autorunner log stream" });
      const initialState = await readStateBody(ctx.root).catch(() => null);
      const startCursor = lastId ?? base + position;
      if (initialState)
        sse.send({ event: "state", id: lastId === null ? startCursor : undefined, data: initialState });
      if (lastId === null) {
        lastSent = startCursor;
      } else {
        let from: number;
        if (lastId < base) {
          // The client's cursor is from before the last truncation: start the new file over.
          sse.send({ event: "reset", id: base, data: { reason: "log truncated or rotated" } });
          lastSent = base;
          from = 0;
        } else {
          const size = (await stat(paths.log).catch(() => null))?.size ?? 0;
          if (lastId - base > Math.max(size, position)) {
            // Beyond the end of the log: another server's cursor, or the log was truncated meanwhile.
            sse.send({ event: "reset", data: { reason: "cursor beyond the end of the log" } });
            lastSent = base;
            from = 0;
          } else {
            lastSent = lastId;
            from = lastId - base;
          }
        }
        const reader = new LogReader(paths.log, paths.logIndex);
        while (!sse.closed) {
          const batch = await reader.readFrom(from, REPLAY_BATCH);
          // The file was reset while we read: the held reset + live lines take over from here.
          if (hub.snapshot().generation !== generation) break;
          if (batch.entries.length === 0 || batch.next <= from) break;
          deliver({ type: "log", entries: withIds(batch.entries, batch.next, base) });
          from = batch.next;
          await sse.drained();
        }
      }
      replaying = false;
      for (const message of pending.splice(0)) deliver(message);
    };
    run().catch((err: unknown) => {
      const detail = err instanceof Error ? err.message : String(err);
      sse.send({ event: "error", data: { detail, code: "INTERNAL" } });
      sse.close();
    });
    return sse.response();
  });
}
