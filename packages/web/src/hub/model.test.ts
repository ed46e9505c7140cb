import type { HubReposBody } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { applyHubEvent, EMPTY_HUB, runsSummary } from "./model.js";
import { hubRepo } from "./test-support.js";

const a = hubRepo({ id: "a", name: "a" });
const b = hubRepo({ id: "b", name: "b" });
const snapshot: HubReposBody = { root: "/hub", max_concurrent_runs: 2, active_runs: 0, repos: [a, b] };
const loaded = applyHubEvent(EMPTY_HUB, "repos", JSON.stringify(snapshot));

describe("applyHubEvent", () => {
  it("a repos snapshot replaces everything and marks the model loaded", () => {
    expect(loaded).toEqual({ loaded: true, root: "/hub", cap: 2, activeRuns: 0, repos: [a, b] });
    const again = applyHubEvent(loaded, "repos", JSON.stringify({ ...snapshot, repos: [b] }));
    expect(again.repos.map((r) => r.id)).toEqual(["b"]);
  });

  it("a repo event updates its card in place, a new repo goes last", () => {
    const running = hubRepo({ id: "a", name: "a", status: "running", running: true });
    const m = applyHubEvent(loaded, "repo", JSON.stringify({ repo: running, active_runs: 1 }));
    expect(m.repos.map((r) => [r.id, r.status])).toEqual([
      ["a", "running"],
      ["b", "idle"],
    ]);
    expect(m.activeRuns).toBe(1);
    const c = hubRepo({ id: "c", name: "c" });
    expect(
      applyHubEvent(m, "repo", JSON.stringify({ repo: c, active_runs: 1 })).repos.map((r) => r.id),
    ).toEqual(["a", "b", "c"]);
  });

  it("removed drops the repo", () => {
    const m = applyHubEvent(loaded, "removed", JSON.stringify({ id: "a", active_runs: 0 }));
    expect(m.repos.map((r) => r.id)).toEqual(["b"]);
  });

  it("pings, errors, unknown events and unreadable data change nothing", () => {
    expect(applyHubEvent(loaded, "ping", JSON.stringify({ ts: "x" }))).toBe(loaded);
    expect(applyHubEvent(loaded, "repo", "{not json")).toBe(loaded);
    expect(applyHubEvent(loaded, "repos", "null")).toBe(loaded);
    expect(applyHubEvent(loaded, "repos", JSON.stringify({ root: "/x" }))).toBe(loaded);
    expect(applyHubEvent(loaded, "later", "{}")).toBe(loaded);
  });
});

describe("runsSummary", () => {
  it("says how many run, and the cap when there is one", () => {
    expect(runsSummary(loaded)).toBe("none running · cap 2");
    expect(runsSummary({ ...loaded, cap: null, activeRuns: 3 })).toBe("3 running");
  });
});
