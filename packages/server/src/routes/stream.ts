import { ServerResponse } from "node:http";
import { intString, ROUTES } from "@codex-autorunner/core";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import type { StreamHub, Subscription } from "../sse/hub.js";
import { StreamSubscriber } from "../sse/subscriber.js";
import { SSE_HEADERS, SseWriter } from "../sse/writer.js";
import { param } from "../validation.js";

/**
 * `GET /api/logs/stream`: live log over SSE (ids: sse/ids.ts). With `Last-Event-ID` (or
 * `?last_event_id=`) the client first gets what it missed, then the live stream (sse/subscriber.ts);
 * every client shares the hub's one follower and watcher (sse/hub.ts).
 */
export function streamRoutes(ctx: AppContext, hub: StreamHub): Hono {
  return new Hono().get(ROUTES.logStream.path, async (c) => {
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
    const subscriber = new StreamSubscriber(sse);
    let sub: Subscription;
    try {
      sub = await hub.subscribe(subscriber.receive);
    } catch (err) {
      sse.close(); // releases its signal listeners; the error becomes a JSON response
      throw err;
    }
    sse.onClose(() => sub.unsubscribe());
    subscriber.run(ctx.root, hub, sub, lastId).catch((err: unknown) => {
      const detail = err instanceof Error ? err.message : String(err);
      sse.send({ event: "error", data: { detail, code: "INTERNAL" } });
      sse.close();
    });
    return sse.response();
  });
}
