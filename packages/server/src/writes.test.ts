import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CarApp, createApp } from "./app.js";
import { originMatchesHost, writeRefusal } from "./security.js";
import { makeRepo, type TestRepo } from "./test-support.js";

/** Cross-site writes (CSRF) and framing, through the whole app: every guard, every write route. */

const HOST = "127.0.0.1:4173";
const SELF = `http://${HOST}`;
const TOKEN = "writes-test-token-0123456789";
const TODO = "# TODO\n\n- [ ] first\n";
/** A queued steering message the cross-site DELETE must not remove. */
const STEER_ID = "1764886291123-4242-a1b2c3";

let repo: TestRepo;
let open: CarApp;
let guarded: CarApp;
const lines: string[] = [];

const WRITES = [
  { method: "POST", path: "/api/run/start", body: '{"once":true}' },
  { method: "POST", path: "/api/run/resume", body: '{"once":true}' },
  { method: "POST", path: "/api/run/stop", body: "" },
  { method: "POST", path: "/api/run/kill", body: "" },
  { method: "POST", path: "/api/chat", body: '{"message":"hi"}' },
  { method: "PUT", path: "/api/docs/todo", body: '{"content":"# pwned\\n"}' },
  { method: "POST", path: "/api/runs/1/rollback", body: "{}" },
  { method: "POST", path: "/api/steer", body: '{"message":"pwned"}' },
  { method: "DELETE", path: `/api/steer/${STEER_ID}`, body: "" },
];

function send(app: CarApp, method: string, path: string, headers: Record<string, string>, body?: string) {
  return app.request(`${SELF}${path}`, {
    method,
    headers: { Host: HOST, ...headers },
    body: body === "" ? undefined : body,
  });
}

function nothingHappened(): void {
  expect(readFileSync(join(repo.dir, "TODO.md"), "utf8")).toBe(TODO);
  expect(existsSync(join(repo.dir, "lock")), "no runner started").toBe(false);
  expect(existsSync(join(repo.dir, "chats")), "no chat ran").toBe(false);
  expect(readdirSync(join(repo.dir, "steer")), "no message queued or deleted").toEqual([
    `${STEER_ID}.pending.json`,
  ]);
}

beforeAll(() => {
  repo = makeRepo({}, TODO);
  mkdirSync(join(repo.dir, "steer"));
  writeFileSync(
    join(repo.dir, "steer", `${STEER_ID}.pending.json`),
    `${JSON.stringify({ version: 1, id: STEER_ID, text: "keep me", created_at: "2026-01-01T12:00:00Z" })}\n`,
  );
  const web = join(repo.root, "web");
  mkdirSync(web);
  writeFileSync(join(web, "index.html"), "<!doctype html><title>ui</title>");
  const log = (line: string) => lines.push(line);
  open = createApp({ root: repo.root, version: "1", webRoot: web, token: null, log });
  guarded = createApp({ root: repo.root, version: "1", webRoot: web, token: TOKEN, log });
});

beforeEach(() => {
  lines.length = 0;
});

afterAll(() => {
  open.dispose();
  guarded.dispose();
  repo.cleanup();
});

describe("state-changing requests", () => {
  const forms: Array<[string, Record<string, string>]> = [
    ["text/plain (a no-cors fetch)", { "Content-Type": "text/plain;charset=UTF-8" }],
    ["a form post", { "Content-Type": "application/x-www-form-urlencoded" }],
    ["a multipart form", { "Content-Type": "multipart/form-data; boundary=x" }],
    ["no content type", {}],
    ["a JSON look-alike", { "Content-Type": "application/json-patch+json" }],
  ];

  it.each(WRITES)("$method $path: anything but JSON → 415, nothing happens, one log line", async (w) => {
    for (const [what, headers] of forms) {
      for (const app of [open, guarded]) {
        const res = await send(app, w.method, w.path, headers, w.body);
        expect(res.status, `${what}`).toBe(415);
        expect(((await res.json()) as { code: string }).code).toBe("UNSUPPORTED_MEDIA_TYPE");
      }
    }
    nothingHappened();
    expect(lines).toHaveLength(forms.length * 2);
    expect(lines[0]).toBe(
      `codex-autorunner server: refused ${w.method} ${w.path} (UNSUPPORTED_MEDIA_TYPE): Content-Type text/plain; no origin`,
    );
  });

  const foreign: Array<[string, Record<string, string>]> = [
    ["another site", { Origin: "http://evil.example" }],
    ["another port of 127.0.0.1", { Origin: "http://127.0.0.1:5555" }],
    ["localhost for 127.0.0.1", { Origin: "http://localhost:4173" }],
    ["an opaque origin", { Origin: "null" }],
    ["a look-alike host", { Origin: "http://127.0.0.1:4173.evil.example" }],
    ["Sec-Fetch-Site cross-site", { "Sec-Fetch-Site": "cross-site" }],
    ["Sec-Fetch-Site same-site", { "Sec-Fetch-Site": "same-site" }],
    ["right Origin, cross-site fetch", { Origin: SELF, "Sec-Fetch-Site": "cross-site" }],
  ];

  it.each(WRITES)("$method $path: JSON from another origin → 403 before the token is checked", async (w) => {
    for (const [what, headers] of foreign) {
      for (const app of [open, guarded]) {
        const res = await send(
          app,
          w.method,
          w.path,
          { "Content-Type": "application/json", ...headers },
          w.body,
        );
        expect(res.status, what).toBe(403);
        expect(((await res.json()) as { code: string }).code, what).toBe("FORBIDDEN_ORIGIN");
      }
    }
    nothingHappened();
    expect(lines).toHaveLength(foreign.length * 2);
    expect(lines[0]).toBe(
      `codex-autorunner server: refused ${w.method} ${w.path} (FORBIDDEN_ORIGIN): foreign Origin; origin "http://evil.example"`,
    );
    expect(lines.at(-1)).toContain("(FORBIDDEN_ORIGIN): Sec-Fetch-Site cross-site");
  });

  it("JSON from the page itself or from a script goes through (to the route's own answer)", async () => {
    for (const headers of [
      {},
      { Origin: SELF, "Sec-Fetch-Site": "same-origin" },
      { Origin: SELF },
      { "Sec-Fetch-Site": "none" },
      { Origin: "http://LOCALHOST:4173", HostOverride: "localhost:4173" },
    ] as Array<Record<string, string>>) {
      const { HostOverride, ...rest } = headers;
      const h = {
        "Content-Type": "application/json; charset=utf-8",
        ...rest,
        ...(HostOverride ? { Host: HostOverride } : {}),
      };
      const stop = await send(open, "POST", "/api/run/stop", h);
      expect(stop.status, JSON.stringify(headers)).toBe(409); // NOT_RUNNING: past every guard
      const bad = await send(open, "POST", "/api/run/start", h, '{"once": 1}');
      expect(bad.status).toBe(400);
    }
    const authed = await send(guarded, "POST", "/api/run/kill", {
      "Content-Type": "application/json",
      Origin: SELF,
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(authed.status).toBe(409);
    expect(lines).toEqual([]);
    nothingHappened();
  });

  it("reads stay open to any origin (they change nothing and the page cannot read the answer)", async () => {
    const res = await send(open, "GET", "/api/state", {
      Origin: "http://evil.example",
      "Sec-Fetch-Site": "cross-site",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(lines).toEqual([]);
  });

  it("the log line escapes what the client sent", async () => {
    await send(open, "POST", "/api/run/stop", { "Content-Type": "text/plain", Origin: `http://x\u001b[2J"` });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\u001b/);
    expect(lines[0]).toContain('origin "http://x\\u001b[2J\\""');
  });
});

describe("framing and other headers", () => {
  it.each([
    ["the UI", "GET", "/", {}],
    ["the API", "GET", "/api/state", {}],
    ["a 404", "GET", "/api/nope", {}],
    ["a refused write", "POST", "/api/run/stop", {}],
    ["a foreign Host", "GET", "/", { Host: "evil.example" }],
  ] as Array<
    [string, string, string, Record<string, string>]
  >)("%s: never framed", async (_what, method, path, headers) => {
    const res = await send(open, method, path, headers);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });
});

describe("a broken config.yml", () => {
  it("a foreign Host still gets 403, not the config error; an allowed one gets the config error", async () => {
    const broken = makeRepo();
    writeFileSync(join(broken.dir, "config.yml"), "server: [unclosed\n");
    const app = createApp({ root: broken.root, version: "1", webRoot: null, token: null, log: () => {} });
    try {
      const evil = await app.request("http://evil.example/api/state", { headers: { Host: "evil.example" } });
      expect(evil.status).toBe(403);
      const body = (await evil.json()) as { code: string; detail: string };
      expect(body.code).toBe("FORBIDDEN_HOST");
      expect(body.detail).not.toMatch(/config/i);
      const local = await app.request(`${SELF}/api/state`, { headers: { Host: HOST } });
      expect(((await local.json()) as { code: string }).code).toBe("CONFIG_YAML");
    } finally {
      app.dispose();
      broken.cleanup();
    }
  });
});

describe("writeRefusal and originMatchesHost", () => {
  it("safe methods are never refused", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "get"])
      expect(
        writeRefusal({ method, host: HOST, origin: "http://evil", secFetchSite: "cross-site" }),
      ).toBeNull();
  });

  it("every other method needs JSON, bodyless or not", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"])
      expect(writeRefusal({ method, host: HOST })?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(writeRefusal({ method: "DELETE", host: HOST, contentType: "Application/JSON" })).toBeNull();
  });

  it("compares scheme, host and port, with default ports filled in", () => {
    expect(originMatchesHost("http://127.0.0.1:4173", "127.0.0.1:4173")).toBe(true);
    expect(originMatchesHost("http://[::1]:4173", "[::1]:4173")).toBe(true);
    expect(originMatchesHost("http://car.lan", "car.lan:80")).toBe(true);
    // The scheme is not compared: nobody else can serve on our host and port, and a TLS proxy in
    // front (https://car.example → http://127.0.0.1:4173 passing Host on) must keep working.
    expect(originMatchesHost("https://car.example", "car.example")).toBe(true);
    expect(originMatchesHost("https://127.0.0.1:4173", "127.0.0.1:4173")).toBe(true);
    expect(originMatchesHost("https://car.example", "car.example:80")).toBe(false);
    expect(originMatchesHost("http://127.0.0.1:4174", "127.0.0.1:4173")).toBe(false);
    expect(originMatchesHost("http://127.0.0.1", "127.0.0.1:4173")).toBe(false);
    expect(originMatchesHost("file://", "127.0.0.1:4173")).toBe(false);
    expect(originMatchesHost("null", "127.0.0.1:4173")).toBe(false);
    expect(originMatchesHost("", "127.0.0.1:4173")).toBe(false);
  });
});
