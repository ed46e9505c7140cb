import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HUB_REPO_ID_PATTERN } from "../contract/routes.js";
import { assignHubRepoIds, hubRepoId, pathUnderRoot } from "./ids.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const ROOT = "/srv/hub";

describe("hub repo ids", () => {
  it("a plain path under the root is the id, / as ~", () => {
    expect(hubRepoId(ROOT, "/srv/hub/api", sha)).toBe("api");
    expect(hubRepoId(ROOT, "/srv/hub/services/api", sha)).toBe("services~api");
    expect(hubRepoId(ROOT, "/srv/hub/my_repo.v2", sha)).toBe("my_repo.v2");
    expect(hubRepoId(ROOT, "/srv/hub/-x", sha)).toBe("-x");
  });

  it("is stable: same inputs, same id", () => {
    expect(hubRepoId(ROOT, "/srv/hub/a b", sha)).toBe(hubRepoId(ROOT, "/srv/hub/a b", sha));
    expect(hubRepoId(ROOT, "/elsewhere/x", sha)).toBe(hubRepoId(ROOT, "/elsewhere/x", sha));
  });

  it("odd names get slug + hash, always URL-safe and never a dot segment", () => {
    const odd = [
      "/srv/hub/a b",
      "/srv/hub/..",
      "/srv/hub/.hidden",
      "/srv/hub/%2e",
      "/srv/hub/%2e%2e",
      "/srv/hub/caf\u00e9",
      "/srv/hub/\u65e5\u672c",
      "/srv/hub",
      "/elsewhere/repo",
      `/srv/hub/${"x".repeat(200)}`,
      "/srv/hub/a/../b",
    ];
    for (const path of odd) {
      const id = hubRepoId(ROOT, path, sha);
      expect(id, path).toMatch(HUB_REPO_ID_PATTERN);
      expect(id).toMatch(/^~.*-[0-9a-f]{8}$/);
      expect([".", ".."]).not.toContain(id);
      expect(encodeURIComponent(id)).toBe(id);
    }
    expect(hubRepoId(ROOT, "/srv/hub/a b", sha)).toMatch(/^~a-b-[0-9a-f]{8}$/);
    expect(hubRepoId(ROOT, "/srv/hub/%2e", sha)).toMatch(/^~2e-[0-9a-f]{8}$/);
    expect(hubRepoId(ROOT, "/srv/hub", sha)).toMatch(/^~hub-[0-9a-f]{8}$/);
    // Different odd paths with the same slug differ by their hash.
    expect(hubRepoId(ROOT, "/srv/hub/a b", sha)).not.toBe(hubRepoId(ROOT, "/srv/hub/a  b", sha));
  });

  it("a path outside the root is never taken as relative (no ../ ids)", () => {
    expect(pathUnderRoot(ROOT, "/srv/hubby/x")).toBeNull();
    expect(pathUnderRoot(ROOT, "/srv/hub/x")).toBe("x");
    expect(pathUnderRoot(ROOT, ROOT)).toBe("");
    expect(hubRepoId(ROOT, "/srv/hubby/x", sha)).toMatch(/^~x-[0-9a-f]{8}$/);
  });

  it("a hashed id is a form no plain id takes: a folder named like one never moves it", () => {
    const hashed = hubRepoId(ROOT, "/srv/hub/x~y", sha);
    expect(hashed).toBe(`~x-y-${sha("x~y").slice(0, 8)}`);
    // A folder literally named like the hashed id (without its ~) keeps a plain id of its own.
    const lookalike = `/srv/hub/${hashed.slice(1)}`;
    for (const order of [
      ["/srv/hub/x~y", lookalike],
      [lookalike, "/srv/hub/x~y"],
    ]) {
      const ids = assignHubRepoIds(ROOT, order, sha);
      expect(ids[order.indexOf("/srv/hub/x~y")]).toBe(hashed);
      expect(ids[order.indexOf(lookalike)]).toBe(hashed.slice(1));
    }
  });

  it("assigns unique ids; a taken plain id makes the later path use the hash form, then longer hashes", () => {
    const ids = assignHubRepoIds(ROOT, ["/srv/hub/a", "/srv/hub/a", "/srv/hub/a", "/srv/hub/c"], sha);
    expect(ids[0]).toBe("a");
    expect(ids[1]).toBe(`~a-${sha("a").slice(0, 8)}`);
    expect(ids[2]).toBe(`~a-${sha("a").slice(0, 16)}`);
    expect(ids[3]).toBe("c");
    expect(new Set(ids).size).toBe(4);
  });
});
