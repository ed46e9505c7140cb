import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarApp, createApp } from "./app.js";
import { hostName, isLoopbackHost, presentedToken, tokenMatches } from "./security.js";
import { logBlock, makeRepo, type TestRepo } from "./test-support.js";

const TOKEN = "s3cret-token-value";
let repo: TestRepo;
let app: CarApp;

interface Route {
  method: string;
  path: string;
  body?: string;
  /** Status with the right token (no runner is running in this repo). */
  ok: number;
}

const ROUTES: Route[] = [
  { method: "GET", path: "/api/state", ok: 200 },
  { method: "GET", path: "/api/docs", ok: 200 },
  { method: "GET", path: "/api/docs/todo", ok: 200 },
  { method: "PUT", path: "/api/docs/progress", body: JSON.stringify({ content: "# P\n" }), ok: 200 },
  { method: "GET", path: "/api/runs", ok: 200 },
  { method: "GET", path: "/api/logs", ok: 200 },
  { method: "GET", path: "/api/logs?tail=5", ok: 200 },
  { method: "GET", path: "/api/logs?run_id=1", ok: 200 },
  { method: "GET", path: "/api/logs/stream", ok: 200 },
  // These pass auth and then fail for a reason the test controls (nothing running, bad body).
  { method: "POST", path: "/api/run/start", body: '{"once": 1}', ok: 400 },
  { method: "POST", path: "/api/run/resume", body: '{"once": 1}', ok: 400 },
  { method: "POST", path: "/api/run/stop", ok: 409 },
  { method: "POST", path: "/api/run/kill", ok: 409 },
  { method: "POST", path: "/api/chat", body: '{"message": ""}', ok: 400 },
  { method: "GET", path: "/api/runs/1/diff", ok: 404 },
  { method: "POST", path: "/api/runs/1/rollback", body: '{"dry_run": "x"}', ok: 400 },
  { method: "GET", path: "/api/steer", ok: 200 },
  { method: "POST", path: "/api/steer", body: '{"message": " "}', ok: 400 },
  { method: "DELETE", path: "/api/steer/0000000000001-1-abcdef", ok: 404 },
  { method: "GET", path: "/api/does-not-exist", ok: 404 },
];

async function call(route: Route, headers: Record<string, string>, query = ""): Promise<Response> {
  const sep = route.path.includes("?") ? "&" : "?";
  const res = await app.request(route.path + (query ? sep + query : ""), {
    method: route.method,
    body: route.body,
    headers: { "Content-Type": "application/json", ...headers },
  });
  return res;
}

beforeAll(() => {
  repo = makeRepo({ server: { auth_token: "from-config-not-used" } });
  repo.appendLog(logBlock(1, ["hello"]));
  mkdirSync(join(repo.dir, "runs"), { recursive: true });
  const web = join(repo.root, "web");
  mkdirSync(web);
  writeFileSync(join(web, "index.html"), "<!doctype html><title>ui</title>");
  app = createApp({ root: repo.root, version: "1.0.0", webRoot: web, token: TOKEN, sseHeartbeatMs: 60_000 });
});

afterAll(() => {
  app.dispose();
  repo.cleanup();
});

describe("auth on every /api route", () => {
  it.each(ROUTES)("$method $path: none → 401, wrong → 401, right → $ok", async (route) => {
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: `Bearer wrong` },
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: TOKEN },
    ]) {
      const res = await call(route, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe("UNAUTHORIZED");
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    const wrongQuery = await call(route, {}, "token=nope");
    expect(wrongQuery.status).toBe(401);
    const good = await call(route, { Authorization: `Bearer ${TOKEN}` });
    expect(good.status).toBe(route.ok);
    await good.body?.cancel();
    const viaQuery = await call(route, {}, `token=${encodeURIComponent(TOKEN)}`);
    expect(viaQuery.status).toBe(route.ok);
    await viaQuery.body?.cancel();
  });

  it("/health and the UI need no token", async () => {
    expect((await app.request("/health")).status).toBe(200);
    const ui = await app.request("/");
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain("<title>ui</title>");
  });

  it("a wrong token in the query does not override a right bearer, and vice versa", async () => {
    const res = await app.request(`/api/state?token=wrong`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const res2 = await app.request(`/api/state?token=${TOKEN}`, {
      headers: { Authorization: `Bearer wrong` },
    });
    expect(res2.status).toBe(401);
  });
});

describe("Host allowlist", () => {
  it.each([
    "evil.com",
    "evil.com:4173",
    "127.0.0.1.evil.com",
    "localhost.evil.com",
    "[::2]:80",
  ])("Host %s → 403", async (host) => {
    for (const path of ["/api/state", "/health", "/"]) {
      const res = await app.request(`http://${host}${path}`, {
        headers: { Authorization: `Bearer ${TOKEN}`, Host: host },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe("FORBIDDEN_HOST");
    }
  });

  it.each([
    "localhost",
    "localhost:4173",
    "127.0.0.1",
    "127.0.0.1:9",
    "[::1]",
    "[::1]:4173",
    "LOCALHOST:1",
  ])("Host %s → allowed", async (host) => {
    const res = await app.request(`http://${host}/api/state`, {
      headers: { Authorization: `Bearer ${TOKEN}`, Host: host },
    });
    expect(res.status).toBe(200);
  });

  it("the configured host is allowed", async () => {
    const other = createApp({
      root: repo.root,
      version: "1",
      webRoot: null,
      token: null,
      allowedHosts: ["car.example.lan"],
    });
    const res = await other.request("http://car.example.lan:4173/health", {
      headers: { Host: "car.example.lan:4173" },
    });
    expect(res.status).toBe(200);
    other.dispose();
  });
});

describe("token source", () => {
  it("CAR_AUTH_TOKEN overrides server.auth_token when no token is passed", async () => {
    const saved = process.env.CAR_AUTH_TOKEN;
    process.env.CAR_AUTH_TOKEN = "env-token";
    const envApp = createApp({ root: repo.root, version: "1", webRoot: null });
    try {
      expect(
        (await envApp.request("/api/state", { headers: { Authorization: "Bearer from-config-not-used" } }))
          .status,
      ).toBe(401);
      expect(
        (await envApp.request("/api/state", { headers: { Authorization: "Bearer env-token" } })).status,
      ).toBe(200);
      delete process.env.CAR_AUTH_TOKEN;
      expect(
        (await envApp.request("/api/state", { headers: { Authorization: "Bearer from-config-not-used" } }))
          .status,
      ).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.CAR_AUTH_TOKEN;
      else process.env.CAR_AUTH_TOKEN = saved;
      envApp.dispose();
    }
  });
});

describe("helpers", () => {
  it("hostName strips ports and keeps IPv6 brackets", () => {
    expect(hostName("Example.com:80")).toBe("example.com");
    expect(hostName("[::1]:4173")).toBe("[::1]");
    expect(hostName("[::1]")).toBe("[::1]");
  });

  it("isLoopbackHost", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "192.168.1.4", "::", "example.com", "127.0.0.1.evil.com"])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it("tokenMatches compares whole values of any length", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abc", "abd")).toBe(false);
    expect(tokenMatches("ab", "abc")).toBe(false);
    expect(tokenMatches("", "abc")).toBe(false);
  });

  it("presentedToken prefers the Authorization header", () => {
    expect(presentedToken("Bearer  t1 ", "t2")).toBe("t1");
    expect(presentedToken(undefined, "t2")).toBe("t2");
    expect(presentedToken("Basic xyz", "t2")).toBeNull();
    expect(presentedToken(undefined, undefined)).toBeNull();
  });
});
