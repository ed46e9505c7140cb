import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarApp, createApp } from "./app.js";
import { IMMUTABLE } from "./routes/static.js";
import { makeRepo, type TestRepo } from "./test-support.js";

let repo: TestRepo;
let app: CarApp;

beforeAll(() => {
  repo = makeRepo();
  const web = join(repo.root, "webdist");
  mkdirSync(join(web, "assets"), { recursive: true });
  writeFileSync(join(web, "index.html"), '<!doctype html><script src="/assets/app-1a2b3c.js"></script>');
  writeFileSync(join(web, "assets", "app-1a2b3c.js"), "console.log('ui')");
  writeFileSync(join(web, "assets", "app-1a2b3c.css"), "body{}");
  writeFileSync(join(repo.root, "secret.txt"), "do not serve");
  app = createApp({ root: repo.root, version: "1", webRoot: web, token: null });
});

afterAll(() => {
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
