import { request } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serverVersion, startServer } from "./start.js";
import { connectSse, makeRepo, type TestRepo } from "./test-support.js";

let repo: TestRepo;

beforeAll(() => {
  repo = makeRepo();
});

afterAll(() => {
  repo.cleanup();
});

/** node:http rather than fetch: fetch does not let a caller set the Host header. */
function get(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("startServer", () => {
  it("listens on 127.0.0.1 with port 0 and serves /health with the package version", async () => {
    const server = await startServer({
      root: repo.root,
      host: "127.0.0.1",
      port: 0,
      token: null,
      webRoot: null,
    });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const health = await get(server, "/health");
      expect(health).toEqual({ status: 200, body: { ok: true, version: serverVersion() } });
      expect(serverVersion()).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it("close() ends open SSE streams and frees the port's connections", async () => {
    const server = await startServer({
      root: repo.root,
      host: "127.0.0.1",
      port: 0,
      token: null,
      webRoot: null,
    });
    const client = await connectSse(`${server.url}/api/logs/stream`);
    await client.waitFor("state", (ev) => ev.some((e) => e.event === "state"));
    expect(server.stats().sseSubscribers).toBe(1);
    await server.close();
    await client.closed;
    expect(server.stats()).toEqual({ sseSubscribers: 0, sharedWatchersActive: false });
  });

  it("refuses a non-loopback host without a token", async () => {
    const saved = process.env.CAR_AUTH_TOKEN;
    delete process.env.CAR_AUTH_TOKEN;
    try {
      for (const host of ["0.0.0.0", "::", "192.168.1.20"]) {
        const err = await startServer({ root: repo.root, host, port: 0, webRoot: null }).catch(
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ name: "CarError", code: "INVALID_ARGUMENT" });
        expect((err as Error).message).toMatch(/without an auth token/);
        expect((err as Error).message).toContain(host);
      }
    } finally {
      if (saved !== undefined) process.env.CAR_AUTH_TOKEN = saved;
    }
  });

  it("a wildcard host with a token listens, requires the token, and accepts loopback Host values", async () => {
    const server = await startServer({
      root: repo.root,
      host: "0.0.0.0",
      port: 0,
      token: "tok",
      webRoot: null,
    });
    try {
      expect((await get(server, "/api/state")).status).toBe(401);
      expect((await get(server, "/api/state", { Authorization: "Bearer tok" })).status).toBe(200);
      const evil = await get(server, "/api/state", { Authorization: "Bearer tok", Host: "evil.com" });
      expect(evil).toMatchObject({ status: 403, body: { code: "FORBIDDEN_HOST" } });
      expect((await get(server, "/health", { Host: `localhost:${server.port}` })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("takes the token from CAR_AUTH_TOKEN", async () => {
    const saved = process.env.CAR_AUTH_TOKEN;
    process.env.CAR_AUTH_TOKEN = "from-env";
    const server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, webRoot: null });
    try {
      expect((await get(server, "/api/state")).status).toBe(401);
      expect((await get(server, "/api/state", { Authorization: "Bearer from-env" })).status).toBe(200);
    } finally {
      await server.close();
      if (saved === undefined) delete process.env.CAR_AUTH_TOKEN;
      else process.env.CAR_AUTH_TOKEN = saved;
    }
  });

  it("a port in use is a clear error", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startServer({
        root: repo.root,
        host: "127.0.0.1",
        port,
        token: null,
        webRoot: null,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect((err as Error).message).toMatch(/already in use/);
    } finally {
      blocker.close();
    }
  });

  it("a repo without config → CONFIG_NOT_FOUND", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const bare = mkdtempSync(join(tmpdir(), "car-bare-"));
    try {
      await expect(startServer({ root: bare, port: 0 })).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND" });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
