import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApi, normalizeRunsPage } from "./client.js";
import { ApiError } from "./errors.js";

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((r) => s.close(() => r()));
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real server standing in for the API: answers with `reply(seen)`. */
async function fakeApi(reply: (seen: Seen) => { status: number; body: string; type?: string }) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { "Content-Type": r.type ?? "application/json" });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/ui/`, seen };
}

describe("createApi", () => {
  it("sends the bearer token and resolves paths against the page URL", async () => {
    const { base, seen } = await fakeApi(() => ({ status: 200, body: '{"status":"idle","running":false}' }));
    let token = "t0k";
    const api = createApi({ baseUrl: base, getToken: () => token });
    const state = await api.state();
    expect(state.running).toBe(false);
    expect(seen[0]?.url).toBe("/ui/api/state");
    expect(seen[0]?.headers.authorization).toBe("Bearer t0k");
    token = "";
    await api.state();
    expect(seen[1]?.headers.authorization).toBeUndefined();
  });

  it("saves a doc with If-Match and a JSON body, and reports 409 as a conflict", async () => {
    const { base, seen } = await fakeApi((s) =>
      s.headers["if-match"] === '"abc"'
        ? { status: 200, body: JSON.stringify({ kind: "todo", content: "x", etag: '"def"', mtime: "now" }) }
        : { status: 409, body: '{"detail":"changed","code":"DOC_CONFLICT"}' },
    );
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const doc = await api.saveDoc("todo", "- [ ] a\n", '"abc"');
    expect(doc.etag).toBe('"def"');
    expect(seen[0]?.method).toBe("PUT");
    expect(JSON.parse(seen[0]!.body)).toEqual({ content: "- [ ] a\n" });
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    const err = await api.saveDoc("todo", "y", '"old"').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).conflict).toBe(true);
    expect((err as ApiError).code).toBe("DOC_CONFLICT");
  });

  it("turns a 401 into an unauthorized ApiError with the server's detail", async () => {
    const { base } = await fakeApi(() => ({
      status: 401,
      body: '{"detail":"Invalid token","code":"UNAUTHORIZED"}',
    }));
    const api = createApi({ baseUrl: base, getToken: () => "bad" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code, err.detail, err.unauthorized]).toEqual([
      401,
      "UNAUTHORIZED",
      "Invalid token",
      true,
    ]);
  });

  it("reports a server that is gone as a NETWORK error", async () => {
    const { base } = await fakeApi(() => ({ status: 200, body: "{}" }));
    const s = server!;
    server = null;
    await new Promise<void>((r) => s.close(() => r()));
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code]).toEqual([0, "NETWORK"]);
  });

  it("reports a non-JSON success body clearly", async () => {
    const { base } = await fakeApi(() => ({ status: 200, body: "<!doctype html>", type: "text/html" }));
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect(err.detail).toMatch(/not JSON/);
  });

  it("passes run control bodies and query parameters", async () => {
    const { base, seen } = await fakeApi((s) =>
      s.url.startsWith("/ui/api/runs")
        ? { status: 200, body: JSON.stringify({ runs: [{ id: 3 }], total: 3, limit: 1, offset: 0 }) }
        : { status: 202, body: '{"running":true,"once":true,"pid":42}' },
    );
    const api = createApi({ baseUrl: base, getToken: () => "" });
    expect((await api.start(true)).pid).toBe(42);
    expect(JSON.parse(seen[0]!.body)).toEqual({ once: true });
    const page = await api.runs(1, 0);
    expect(seen[1]?.url).toBe("/ui/api/runs?limit=1&offset=0");
    expect(page).toEqual({ runs: [{ id: 3 }], total: 3, next: 1 });
    await api.logs({ run_id: 7, tail: null });
    expect(seen[2]?.url).toBe("/ui/api/logs?run_id=7");
  });
});

describe("normalizeRunsPage", () => {
  it("computes the next offset from total", () => {
    expect(normalizeRunsPage({ runs: [{ id: 5 }, { id: 4 }], total: 5 }, 2, 0).next).toBe(2);
    expect(normalizeRunsPage({ runs: [{ id: 1 }], total: 5 }, 2, 4).next).toBeNull();
  });

  it("accepts a bare array and guesses more when the page is full", () => {
    expect(normalizeRunsPage([{ id: 2 }, { id: 1 }], 2, 0)).toEqual({
      runs: [{ id: 2 }, { id: 1 }],
      total: null,
      next: 2,
    });
    expect(normalizeRunsPage([{ id: 1 }], 2, 0).next).toBeNull();
  });
});
