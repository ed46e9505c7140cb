import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./start.js";
import { activeResources, connectSse, logBlock, makeRepo, type TestRepo, waitFor } from "./test-support.js";

/** Abusive clients against a real server: the server stays correct and gives back what it took. */
let repo: TestRepo;
let server: RunningServer;
let baseline: Record<string, number>;

function sameResources(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

async function backToBaseline(): Promise<void> {
  await waitFor(
    "resources back to baseline",
    () => sameResources(activeResources(), baseline),
    30_000,
    50,
  ).catch(() => {
    throw new Error(`resources ${JSON.stringify(activeResources())} != baseline ${JSON.stringify(baseline)}`);
  });
}

beforeAll(async () => {
  repo = makeRepo();
  server = await startServer({
    root: repo.root,
    host: "127.0.0.1",
    port: 0,
    token: null,
    webRoot: null,
    sseHeartbeatMs: 500,
    sseMaxQueuedBytes: 64 * 1024,
  });
  await new Promise((r) => setTimeout(r, 100));
  baseline = activeResources();
});

afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

describe("hostile SSE clients", () => {
  it("300 connects/disconnects, some before the first byte, leave no handles", async () => {
    const url = `${server.url}/api/logs/stream`;
    for (let round = 0; round < 10; round++) {
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 30; i++) {
        if (i % 3 === 0) {
          // Abort right after sending the request.
          waits.push(
            new Promise<void>((resolve) => {
              const req = request(url, { agent: false });
              req.on("error", () => resolve());
              req.on("close", () => resolve());
              req.end(() => req.destroy());
            }),
          );
        } else {
          waits.push(
            connectSse(url).then(async (c) => {
              c.close();
              await c.closed;
            }),
          );
        }
      }
      await Promise.all(waits);
    }
    await backToBaseline();
    // The server still streams afterwards.
    const c = await connectSse(url);
    await c.waitFor("state", (ev) => ev.some((e) => e.event === "state"));
    repo.appendLog(logBlock(1, ["still alive"]));
    await c.waitFor("line", (ev) => ev.some((e) => e.event === "log" && e.data.includes("still alive")));
    c.close();
    await c.closed;
    await backToBaseline();
  });

  it("a client that stops reading is dropped instead of buffered without bound", async () => {
    const url = `${server.url}/api/logs/stream`;
    const reader = await connectSse(url);
    await reader.waitFor("state", (ev) => ev.some((e) => e.event === "state"));
    // A second client that never reads after the headers.
    const stuck = await new Promise<{ res: IncomingMessage; req: ClientRequest }>((resolve, reject) => {
      const req = request(url, { agent: false });
      req.on("error", reject);
      req.on("response", (res) => {
        res.pause();
        resolve({ res, req });
      });
      req.end();
    });
    await waitFor("both subscribed", () => server.stats().sseSubscribers === 2);
    // ~24 MB of log: far more than the socket buffers plus the 64 KiB allowance.
    const line = "x".repeat(1000);
    for (let chunk = 0; chunk < 8; chunk++) {
      repo.appendLog(
        logBlock(
          100 + chunk,
          Array.from({ length: 3000 }, () => line),
        ),
      );
    }
    // The reading client gets everything, in order, and is never dropped.
    await reader.waitFor("all lines", (ev) => ev.filter((e) => e.event === "log").length >= 24_000, 120_000);
    const ids = reader.events.filter((e) => e.event === "log").map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    // The stuck one is cut off by the server (two heartbeats without progress).
    await waitFor("stuck client dropped", () => server.stats().sseSubscribers === 1, 30_000);
    let received = 0;
    stuck.res.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    const ended = new Promise<void>((r) => {
      stuck.res.on("close", () => r());
      stuck.res.on("error", () => r());
    });
    stuck.res.resume();
    await ended;
    expect(received).toBeLessThan(24_000_000);
    expect(reader.events.some((e) => e.event === "ping")).toBe(true);
    reader.close();
    stuck.req.destroy();
    await reader.closed;
    await backToBaseline();
  });
});
