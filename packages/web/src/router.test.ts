import { describe, expect, it } from "vitest";
import { href, hubHome, parseRoute } from "./router.js";

describe("hash routes", () => {
  it("parses view, sub-path and query", () => {
    const r = parseRoute("#/logs?run=12");
    expect([r.view, r.rest, r.params.get("run")]).toEqual(["logs", [], "12"]);
    expect(parseRoute("#/docs/todo").rest).toEqual(["todo"]);
  });

  it("falls back to the dashboard for empty or unknown hashes", () => {
    expect(parseRoute("").view).toBe("dashboard");
    expect(parseRoute("#/nope/x").view).toBe("dashboard");
    expect(parseRoute("#/nope/x").rest).toEqual([]);
  });

  it("round-trips through href, escaping segments", () => {
    const h = href("docs", ["my notes"], { a: 1 });
    expect(h).toBe("#/docs/my%20notes?a=1");
    const r = parseRoute(h);
    expect([r.view, r.rest[0], r.params.get("a")]).toEqual(["docs", "my notes", "1"]);
  });
});

describe("hubHome", () => {
  it("is the hub's root for a repo page under /repos/<id>/, kept under a proxy's sub-path", () => {
    expect(hubHome("http://127.0.0.1:4180/repos/services~api/")).toBe("http://127.0.0.1:4180/");
    expect(hubHome("http://h/car/repos/web/index.html")).toBe("http://h/car/");
  });

  it("is null for a page car serve serves on its own, or the hub itself", () => {
    expect(hubHome("http://127.0.0.1:4173/")).toBeNull();
    expect(hubHome("http://127.0.0.1:4180/repos/")).toBeNull();
    expect(hubHome("http://127.0.0.1:4180/x/repos/a/b/")).toBeNull();
  });
});
