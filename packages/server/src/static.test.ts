import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarApp, createApp } from "./app.js";
import { IMMUTABLE } from "./routes/static.js";
import { type RunningServer, startServer } from "./start.js";
import { makeRepo, type TestRepo } from "./test-support.js";

let repo: TestRepo;
let app: CarApp;
let server: RunningServer;

/** One request with its target sent byte for byte (fetch and app.request would normalise `..`). */
function rawGet(port: number, target: string): Promise<{ status: number; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      raw += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: Number(raw.split(" ")[1]), raw }));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, "latin1");
  });
}

const SECURITY_HEADERS = {
  "x-frame-options": "DENY",
  "content-security-policy": "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

beforeAll(async () => {
  repo = makeRepo();
  const web = join(repo.root, "webdist");
  mkdirSync(join(web, "assets"), { recursive: true });
  writeFileSync(join(web, "index.html"), '<!doctype html><script src="/assets/app-1a2b3c.js"></script>');
  writeFileSync(join(web, "assets", "app-1a2b3c.js"), "console.log('ui')");
  writeFileSync(join(web, "assets", "app-1a2b3c.css"), "body{}");
  writeFileSync(join(repo.root, "secret.txt"), "do not serve");
  app = createApp({ root: repo.root, version: "1", webRoot: web, token: null });
  server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, token: null, webRoot: web });
});

afterAll(async () => {
  await server?.close();
  app.dispose();
  repo.cleanup();
});

describe("web UI", () => {
  it("/ → index.html with no-cache", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toContain("app-1a2b3c.js");
  });

  it("hashed assets are immutable with the right type", async () => {
    const js = await app.request("/assets/app-1a2b3c.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toBe(IMMUTABLE);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(await js.text()).toBe("console.log('ui')");
    const css = await app.request("/assets/app-1a2b3c.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
  });

  it("SPA fallback for client routes; 404 for missing assets and files", async () => {
    for (const path of ["/logs", "/docs/todo", "/runs/3"]) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toContain("app-1a2b3c.js");
    }
    for (const path of ["/assets/app-old.js", "/favicon.png"]) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("NOT_FOUND");
    }
  });

  it("never serves files outside the web root", async () => {
    for (const path of [
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/..%5csecret.txt",
    ]) {
      const res = await app.request(path);
      const text = await res.text();
      expect(text).not.toContain("do not serve");
    }
  });

  it("never serves files outside the web root over a real socket (raw targets)", async () => {
    const targets = [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/%2e%2e%2fsecret.txt",
      "/.%2e/secret.txt",
      "/%252e%252e%252fsecret.txt",
      "/..\\secret.txt",
      "/..%5csecret.txt",
      "/assets%5c..%5c..%5csecret.txt",
      "/secret.txt%00.js",
      "/%00/../secret.txt",
      "//secret.txt",
      `/${"../".repeat(8)}${repo.root.slice(1)}/secret.txt`,
      `/${encodeURIComponent(join(repo.root, "secret.txt"))}`,
    ];
    for (const target of targets) {
      const { status, raw } = await rawGet(server.port, target);
      expect(raw, target).not.toContain("do not serve");
      expect(status, target).toBeGreaterThanOrEqual(200);
    }
    // The socket really reaches the files: the same helper gets the asset.
    const ok = await rawGet(server.port, "/assets/app-1a2b3c.js");
    expect(ok.status).toBe(200);
    expect(ok.raw).toContain("console.log('ui')");
  });

  it("a folder is not listed: /assets/ is a 404, /assets falls back to the UI", async () => {
    expect((await app.request("/assets/")).status).toBe(404);
    const res = await app.request("/assets");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("app-1a2b3c.js");
  });

  it("HEAD answers with the GET headers and no body", async () => {
    for (const [path, cache] of [
      ["/", "no-cache"],
      ["/assets/app-1a2b3c.js", IMMUTABLE],
      ["/logs", "no-cache"],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method: "HEAD" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe(cache);
      expect(Number(res.headers.get("content-length")), path).toBeGreaterThan(0);
      expect(await res.text(), path).toBe("");
    }
  });

  it("every UI response carries the security headers", async () => {
    for (const path of [
      "/",
      "/index.html",
      "/assets/app-1a2b3c.js",
      "/logs",
      "/assets/app-old.js",
      "/favicon.png",
    ]) {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      }
    }
  });

  it("GET on unknown /api paths is a JSON 404, not the SPA", async () => {
    const res = await app.request("/api/unknown");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("NOT_FOUND");
  });

  it("without a built UI, / explains how to build it", async () => {
    const bare = createApp({ root: repo.root, version: "1", webRoot: null, token: null });
    const res = await bare.request("/");
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/not built/);
    expect((await bare.request("/logs")).status).toBe(404);
    bare.dispose();
  });
});
