import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { decodeId, forward, splitRepoPath } from "./forward.js";

/** What the inner app saw: the URL it was handed and the Host header. */
function recorder() {
  const seen: Array<{ url: string; host: string | undefined }> = [];
  const inner = new Hono().all("*", (c) => {
    seen.push({ url: c.req.url, host: c.req.header("host") });
    return c.text("inner");
  });
  const outer = new Hono().all("/repos/*", (c) => {
    const parts = splitRepoPath(new URL(c.req.url).pathname);
    if (!parts) return c.text("no repo path", 404);
    return forward(c, inner, parts.rest);
  });
  return { seen, outer };
}

describe("splitRepoPath / decodeId", () => {
  it("splits the id (still encoded) from the rest of the path", () => {
    expect(splitRepoPath("/repos/alpha/api/state")).toEqual({ rawId: "alpha", rest: "/api/state" });
    expect(splitRepoPath("/repos/alpha")).toEqual({ rawId: "alpha", rest: "" });
    expect(splitRepoPath("/repos/a%2fb/api")).toEqual({ rawId: "a%2fb", rest: "/api" });
    expect(splitRepoPath("/repos//api")).toBeNull();
    expect(splitRepoPath("/hub/repos")).toBeNull();
    expect(decodeId("a%2fb")).toBe("a/b");
    expect(decodeId("%E0%A4%A")).toBeNull();
  });
});

describe("forward", () => {
  it("keeps a `//host/…` rest as a path on the same origin (never another host)", async () => {
    const { seen, outer } = recorder();
    const res = await outer.request("http://127.0.0.1:4180/repos/a//evil.example/api/state?x=1", {
      headers: { Host: "127.0.0.1:4180" },
    });
    expect(await res.text()).toBe("inner");
    expect(seen).toEqual([
      { url: "http://127.0.0.1:4180//evil.example/api/state?x=1", host: "127.0.0.1:4180" },
    ]);
  });

  it("strips only the prefix: encoded slashes stay encoded (no new segments for the inner app)", async () => {
    const { seen, outer } = recorder();
    await outer.request("http://127.0.0.1/repos/a/api/..%2f..%2fhub%2frepos");
    expect(seen.map((s) => s.url)).toEqual(["http://127.0.0.1/api/..%2f..%2fhub%2frepos"]);
  });
});
