import { existsSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
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
      token: "tok-0123456789abcdef",
      webRoot: null,
    });
    try {
      // The banner shows where it really listens; `url` is one this machine can open.
      expect(server.boundUrl).toBe(`http://0.0.0.0:${server.port}`);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect((await get(server, "/api/state")).status).toBe(401);
      expect((await get(server, "/api/state", { Authorization: "Bearer tok-0123456789abcdef" })).status).toBe(
        200,
      );
      const evil = await get(server, "/api/state", {
        Authorization: "Bearer tok-0123456789abcdef",
        Host: "evil.com",
      });
      expect(evil).toMatchObject({ status: 403, body: { code: "FORBIDDEN_HOST" } });
      expect((await get(server, "/health", { Host: `localhost:${server.port}` })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("takes the token from CAR_AUTH_TOKEN", async () => {
    const saved = process.env.CAR_AUTH_TOKEN;
    process.env.CAR_AUTH_TOKEN = "from-env-0123456789";
    const server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, webRoot: null });
    try {
      expect((await get(server, "/api/state")).status).toBe(401);
      expect((await get(server, "/api/state", { Authorization: "Bearer from-env-0123456789" })).status).toBe(
        200,
      );
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
      // Not bad usage (exit 2): the CLI exits 1 for it.
      expect(err).toMatchObject({ code: "LISTEN_FAILED" });
      expect((err as Error).message).toMatch(/already in use/);
    } finally {
      blocker.close();
    }
  });

  it("a host that is not this machine's stays bad usage (INVALID_ARGUMENT)", async () => {
    // 192.0.2.1 is TEST-NET-1: never an address of this machine (only a bind is attempted).
    const far = await startServer({
      root: repo.root,
      host: "192.0.2.1",
      port: 0,
      token: TOKEN,
      webRoot: null,
    }).catch((e: unknown) => e);
    expect(far).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((far as Error).message).toMatch(/not an address of this machine/);
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

const TOKEN = "start-test-token-0123456789";

/** Runs `fn` with CAR_AUTH_TOKEN set to `value` (undefined: unset), restoring it after. */
async function withEnvToken<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.CAR_AUTH_TOKEN;
  if (value === undefined) delete process.env.CAR_AUTH_TOKEN;
  else process.env.CAR_AUTH_TOKEN = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.CAR_AUTH_TOKEN;
    else process.env.CAR_AUTH_TOKEN = saved;
  }
}

describe("a token by default", () => {
  it("with none configured, generates one into .codex-autorunner/server-token (0600) and keeps it across restarts", async () => {
    const fresh = makeRepo();
    try {
      const first = await withEnvToken(undefined, () =>
        startServer({ root: fresh.root, host: "127.0.0.1", port: 0, webRoot: null }),
      );
      let token = "";
      try {
        expect(first.auth.mode).toBe("generated");
        if (first.auth.mode !== "generated") return;
        token = first.auth.token;
        expect(first.auth.file).toBe(join(fresh.dir, "server-token"));
        expect(first.auth.created).toBe(true);
        expect(statSync(first.auth.file).mode & 0o777).toBe(0o600);
        expect(readFileSync(first.auth.file, "utf8").trim()).toBe(token);
        expect(first.url).not.toContain(token);
        expect((await get(first, "/api/state")).status).toBe(401);
        expect((await get(first, "/api/state", { Authorization: `Bearer ${token}` })).status).toBe(200);
      } finally {
        await first.close();
      }
      const second = await withEnvToken(undefined, () =>
        startServer({ root: fresh.root, host: "127.0.0.1", port: 0, webRoot: null }),
      );
      try {
        expect(second.auth).toMatchObject({ mode: "generated", token, created: false });
        expect((await get(second, "/api/state", { Authorization: `Bearer ${token}` })).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      fresh.cleanup();
    }
  });

  it("a configured token wins and is not handed back; token: null is no auth", async () => {
    const fresh = makeRepo({ server: { auth_token: TOKEN } });
    try {
      const fromConfig = await withEnvToken(undefined, () =>
        startServer({ root: fresh.root, host: "127.0.0.1", port: 0, webRoot: null }),
      );
      try {
        expect(fromConfig.auth).toEqual({ mode: "configured", source: "server.auth_token" });
        expect((await get(fromConfig, "/api/state", { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      } finally {
        await fromConfig.close();
      }
      const fromEnv = await withEnvToken(`${TOKEN}-env`, () =>
        startServer({ root: fresh.root, host: "127.0.0.1", port: 0, webRoot: null }),
      );
      await fromEnv.close();
      expect(fromEnv.auth).toEqual({ mode: "configured", source: "CAR_AUTH_TOKEN" });
      const none = await startServer({
        root: fresh.root,
        host: "127.0.0.1",
        port: 0,
        token: null,
        webRoot: null,
      });
      try {
        expect(none.auth).toEqual({ mode: "none" });
        expect((await get(none, "/api/state")).status).toBe(200);
      } finally {
        await none.close();
      }
      expect(existsSync(join(fresh.dir, "server-token")), "no file when a token is configured").toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it("CAR_AUTH_TOKEN too short or blank → CONFIG_INVALID naming the variable, never echoing it", async () => {
    for (const bad of ["short-env-tok", "   \t   ", "sixteen chars ok"]) {
      const err = await withEnvToken(bad, () =>
        startServer({ root: repo.root, host: "127.0.0.1", port: 0, webRoot: null }),
      ).catch((e: unknown) => e);
      expect(err, JSON.stringify(bad)).toMatchObject({
        code: "CONFIG_INVALID",
        details: { key: "CAR_AUTH_TOKEN" },
      });
      expect((err as Error).message).toMatch(
        /^CAR_AUTH_TOKEN: expected a token of at least 16 visible ASCII/,
      );
      if (bad.trim()) expect((err as Error).message).not.toContain(bad);
    }
    const short = await startServer({ root: repo.root, port: 0, token: "tok", webRoot: null }).catch(
      (e: unknown) => e,
    );
    expect(short).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("off loopback only a configured token will do: no generated one, no --no-auth", async () => {
    const fresh = makeRepo();
    try {
      const generated = await withEnvToken(undefined, () =>
        startServer({ root: fresh.root, host: "0.0.0.0", port: 0, webRoot: null }),
      ).catch((e: unknown) => e);
      expect(generated).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect(existsSync(join(fresh.dir, "server-token")), "refused before writing a token").toBe(false);
      const none = await startServer({
        root: fresh.root,
        host: "0.0.0.0",
        port: 0,
        token: null,
        webRoot: null,
      }).catch((e: unknown) => e);
      expect(none).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect((none as Error).message).toMatch(/--no-auth is for loopback addresses only/);
    } finally {
      fresh.cleanup();
    }
  });

  it("boundUrl is the address actually bound", async () => {
    const local = await startServer({
      root: repo.root,
      host: "127.0.0.1",
      port: 0,
      token: null,
      webRoot: null,
    });
    await local.close();
    expect(local.boundUrl).toBe(local.url);
  });
});
