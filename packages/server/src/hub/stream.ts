import { ServerResponse } from "node:http";
import { HTTP_CONTRACT, ROUTES } from "@codex-autorunner/core";
import type { HubRegistryApi } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { SSE_HEADERS, SseWriter } from "../sse/writer.js";
import { queryOf } from "../validation.js";
import type { HubEventLog, HubStreamEntry } from "./events.js";

/** EventSource reconnect delay hint (as the per-repo stream). */
const RETRY_MS = 2000;

/**
 * `GET /hub/stream`: the hub's events over SSE (hub.ts's HUB_STREAM_EVENTS). Without a known
 * `Last-Event-ID` (header or `?last_event_id=`) the client first gets `repos` (the `GET /hub/repos`
 * body) with the latest id, else the events it missed; then live `repo`/`removed` events. Pings come
 * from one timer shared by every client, running only while some client is connected.
 */
export function hubStreamRoutes(ctx: AppContext, registry: HubRegistryApi, events: HubEventLog): Hono {
  const writers = new Set<SseWriter>();
  let heartbeat: NodeJS.Timeout | null = null;
  const tick = () => {
    const ping = { event: "ping", data: { ts: ctx.clock().toISOString() } };
    for (const sse of [...writers]) {
      sse.checkBacklog();
      sse.send(ping);
    }
  };
  const attach = (sse: SseWriter) => {
    writers.add(sse);
    heartbeat ??= setInterval(tick, ctx.sseHeartbeatMs);
    sse.onClose(() => {
      writers.delete(sse);
      if (writers.size === 0 && heartbeat) {
        clearInterval(heartbeat);
        heartbeat = null;
      }
    });
  };

  return new Hono().get(ROUTES.hubStream.path, async (c) => {
    const header = c.req.header("last-event-id")?.trim();
    const query = queryOf(c, HTTP_CONTRACT.hubStream.query).last_event_id?.trim();
    const lastId = header || query || null;
    if (c.req.method === "HEAD") return new Response(null, { status: 200, headers: SSE_HEADERS });

    // Events that arrive while the snapshot is read are held, then sent after it (at least once).
    const held: HubStreamEntry[] = [];
    let live: ((entry: HubStreamEntry) => void) | null = null;
    const unsubscribe = events.subscribe((entry) => (live ? live(entry) : held.push(entry)));
    let opening:
      | { snapshotId: string; snapshotSeq: number; body: unknown }
      | { replay: HubStreamEntry[]; seq: number };
    try {
      const replay = lastId === null ? null : events.since(lastId);
      if (replay) opening = { replay, seq: events.lastSeq };
      else {
        const snapshotSeq = events.lastSeq;
        opening = { snapshotId: `${events.boot}.${snapshotSeq}`, snapshotSeq, body: await registry.list() };
      }
    } catch (err) {
      unsubscribe(); // a broken hub.yml: the JSON error response says so
      throw err;
    }

    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    const sse = new SseWriter(
      [c.req.raw.signal, ctx.signal],
      ctx.sseMaxQueuedBytes,
      outgoing instanceof ServerResponse ? outgoing : undefined,
    );
    sse.onClose(unsubscribe);
    attach(sse);
    sse.send({ retry: RETRY_MS, comment: "codex-autorunner hub stream" });
    let sentSeq: number;
    if ("replay" in opening) {
      for (const entry of opening.replay) sse.sendBytes(entry.bytes);
      sentSeq = opening.seq;
    } else {
      sse.send({ event: "repos", id: opening.snapshotId, data: opening.body });
      sentSeq = opening.snapshotSeq;
    }
    const deliver = (entry: HubStreamEntry) => {
      if (entry.seq <= sentSeq) return;
      sentSeq = entry.seq;
      sse.sendBytes(entry.bytes);
    };
    for (const entry of held.splice(0)) deliver(entry);
    live = deliver;
    return sse.response();
  });
}
