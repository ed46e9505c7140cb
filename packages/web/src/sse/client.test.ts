import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openEventStream, type StreamStatus } from "./client.js";
import type { SseEvent } from "./parser.js";
import { ReconnectPolicy } from "./reconnect.js";

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: Server[] = [];
const handles: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const h of handles.splice(0)) h.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A real HTTP server on 127.0.0.1; `handler` gets the request number (1, 2, ...). */
async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/logs/stream`, requests };
}

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const fastPolicy = () => new ReconnectPolicy({ baseMs: 20, maxMs: 200, jitter: 0 });

describe("openEventStream", () => {
  it("receives events and sends the token header", async () => {
    const { url, requests } = await serve((_req, res) => {
      sseHead(res);
      res.write('event: log\nid: 10\ndata: {"line":"a"}\n\n');
      res.write('event: log\nid: 20\ndata: {"line":"b"}\n\n');
    });
    const events: SseEvent[] = [];
    const statuses: StreamStatus[] = [];
    const h = openEventStream({
      url,
      headers: () => ({ Authorization: "Bearer s3cret" }),
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      policy: fastPolicy(),
    });
    handles.push(h);
    await until(() => events.length === 2, "two events");
    expect(events.map((e) => [e.event, e.id, JSON.parse(e.data).line])).toEqual([
      ["log", "10", "a"],
      ["log", "20", "b"],
    ]);
    expect(requests[0]?.headers.authorization).toBe("Bearer s3cret");
    expect(requests[0]?.headers["last-event-id"]).toBeUndefined();
    expect(statuses).toContain("open");
    expect(h.lastEventId).toBe("20");
  });

  it("reconnects after the server ends the stream, resuming with Last-Event-ID", async () => {
    const { url, requests } = await serve((_req, res, n) => {
      sseHead(res);
      if (n === 1) {
        res.end("id: 100\nevent: log\ndata: first\n\n");
      } else {
        res.write("id: 200\nevent: log\ndata: second\n\n");
      }
    });
    const events: SseEvent[] = [];
    const statuses: StreamStatus[] = [];
    const h = openEventStream({
      url,
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      policy: fastPolicy(),
    });
    handles.push(h);
    await until(() => events.length === 2, "event after reconnect");
    expect(events.map((e) => e.data)).toEqual(["first", "second"]);
    expect(requests[1]?.headers["last-event-id"]).toBe("100");
    expect(statuses).toEqual(expect.arrayContaining(["connecting", "open", "reconnecting"]));
  });

  it("stops on 401 with status unauthorized, and reconnectNow tries again with the new token", async () => {
    let token = "wrong";
    const { url, requests } = await serve((req, res) => {
      if (req.headers.authorization !== "Bearer right") {
        res.writeHead(401, { "Content-Type": "application/json" });
        res.end('{"detail":"Invalid token","code":"UNAUTHORIZED"}');
        return;
      }
      sseHead(res);
      res.write("event: state\ndata: {}\n\n");
    });
    let status: StreamStatus = "connecting";
    const events: SseEvent[] = [];
    const h = openEventStream({
      url,
      headers: () => ({ Authorization: `Bearer ${token}` }),
      onEvent: (e) => events.push(e),
      onStatus: (s) => {
        status = s;
      },
      policy: fastPolicy(),
    });
    handles.push(h);
    await until(() => status === "unauthorized", "unauthorized");
    // It gave up: no retry storm against a server that will keep saying 401.
    await new Promise((r) => setTimeout(r, 150));
    expect(requests.length).toBe(1);
    token = "right";
    h.reconnectNow();
    await until(() => events.length === 1, "event with the right token");
    expect(status).toBe("open");
    expect(requests.length).toBe(2);
  });

  it("retries 5xx and network failures until the server answers", async () => {
    const { url, requests } = await serve((req, res, n) => {
      if (n <= 2) {
        if (n === 1) req.socket.destroy();
        else {
          res.writeHead(503);
          res.end();
        }
        return;
      }
      sseHead(res);
      res.write("data: ok\n\n");
    });
    const events: SseEvent[] = [];
    const h = openEventStream({ url, onEvent: (e) => events.push(e), policy: fastPolicy() });
    handles.push(h);
    await until(() => events.length === 1, "event after failures");
    expect(requests.length).toBe(3);
  });

  it("treats a silent connection as dead and reconnects (heartbeat watchdog)", async () => {
    const { url, requests } = await serve((_req, res, n) => {
      sseHead(res);
      if (n === 1) res.write("id: 5\ndata: then silence\n\n");
      else res.write("data: back\n\n");
    });
    const events: SseEvent[] = [];
    const h = openEventStream({
      url,
      onEvent: (e) => events.push(e),
      heartbeatTimeoutMs: 1500,
      policy: fastPolicy(),
    });
    handles.push(h);
    await until(() => events.length === 2, "event after the watchdog fired");
    expect(requests[1]?.headers["last-event-id"]).toBe("5");
  });

  it("fails clearly when the URL serves something other than an event stream", async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html>");
    });
    let detail = "";
    let status: StreamStatus = "connecting";
    const h = openEventStream({
      url,
      onEvent: () => {},
      onStatus: (s, d) => {
        status = s;
        detail = d;
      },
      policy: fastPolicy(),
    });
    handles.push(h);
    await until(() => status === "failed", "failed");
    expect(detail).toMatch(/expected an event stream, got text\/html/);
  });

  it("close() ends the connection and no reconnect follows", async () => {
    const { url, requests } = await serve((_req, res) => {
      sseHead(res);
      res.write("data: x\n\n");
    });
    const events: SseEvent[] = [];
    const h = openEventStream({ url, onEvent: (e) => events.push(e), policy: fastPolicy() });
    await until(() => events.length === 1, "first event");
    h.close();
    expect(h.status).toBe("closed");
    await new Promise((r) => setTimeout(r, 150));
    expect(requests.length).toBe(1);
  });
});
