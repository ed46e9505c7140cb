import { emptyStateBody, type StateBody, stateBodySchema } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { hubRepo } from "../hub/test-support.js";
import { displayStatus, hubRepoStatus, orphanedNotice } from "./status.js";

const idle: StateBody = emptyStateBody("/repo", {
  last_run_id: 3,
  last_exit_code: 0,
  last_run_started_at: "2026-01-01T12:00:00Z",
  last_run_finished_at: "2026-01-01T12:01:00Z",
  outstanding_count: 1,
  todo_items: [{ text: "first", done: false, line: 3 }],
});

/** A state as the server sends it: checked against core's contract, so no invented shapes. */
const state = (patch: Partial<StateBody>): StateBody => stateBodySchema.parse({ ...idle, ...patch });

/** What core's getStatus reports after a runner died during run 4 (killed -9). */
const died = state({
  status: "error",
  stale: true,
  reason: "runner is not alive (stopped during run 4)",
  last_run_id: 4,
  agent_pid: 4242,
  agent_marker: "car-run-4",
});

describe("displayStatus", () => {
  it("a runner that died mid-run is shown as stale, with the reason", () => {
    expect(displayStatus(died)).toEqual({
      label: "stale",
      tone: "warn",
      title: "runner is not alive (stopped during run 4)",
    });
  });

  it("processes of a dead runner's run still alive come first", () => {
    const s = state({ ...died, orphaned_agent: { pid: 4242, processes: 3 } });
    expect(displayStatus(s)).toMatchObject({ label: "orphaned", tone: "error" });
    expect(displayStatus(s).title).toContain("orphaned agent alive (3 processes)");
  });

  it("running, waiting, error and idle as before", () => {
    expect(displayStatus(null).label).toBe("unknown");
    const running = state({
      status: "running",
      running: true,
      runner_pid: 9,
      lock: { info: null, alive: true },
    });
    expect(displayStatus(running)).toMatchObject({ label: "running", tone: "running" });
    const wait = { since: "2026-01-01T12:00:00Z", until: "2026-01-01T13:00:00Z" };
    const waiting = state({
      ...running,
      status: "waiting",
      waiting: { ...wait, reason: "rate_limit", message: "rate limited" },
    });
    expect(displayStatus(waiting)).toMatchObject({ label: "waiting", tone: "warn", title: "rate limited" });
    const asking = state({
      ...running,
      status: "waiting_input",
      waiting: { ...wait, reason: "needs_input", message: "Postgres or SQLite?" },
    });
    expect(displayStatus(asking)).toMatchObject({
      label: "needs input",
      tone: "warn",
      title: "Postgres or SQLite?",
    });
    // A dead runner's leftover wait is not a live wait.
    expect(displayStatus({ ...waiting, running: false, status: "error" }).label).toBe("error");
    expect(displayStatus(state({ status: "error", reason: "agent exited 2" }))).toMatchObject({
      label: "error",
      title: "agent exited 2",
    });
    expect(displayStatus(idle).label).toBe("idle");
  });
});

describe("queued starts (a hub's concurrency cap)", () => {
  it("a queued start shows as queued until a runner is alive", () => {
    const queued = state({ status: "queued", queued: { since: "2026-01-01T12:00:00Z", once: false } });
    expect(displayStatus(queued)).toMatchObject({ label: "queued", tone: "warn" });
    expect(displayStatus(queued).title).toContain("Stop cancels it");
    // The runner took the slot (it deletes queued.json once it holds the lock): running wins.
    const started = state({ ...queued, status: "running", running: true, runner_pid: 9 });
    expect(displayStatus(started).label).toBe("running");
  });

  it("a hub card's badge for a queued repo names its place", () => {
    const repo = hubRepo({
      status: "queued",
      queued: { since: "2026-01-01T12:00:00Z", once: true, position: 1 },
    });
    expect(hubRepoStatus(repo)).toMatchObject({ label: "queued", tone: "warn" });
    expect(hubRepoStatus(repo).title).toMatch(/^#1 in the hub's queue since /);
    expect(hubRepoStatus(hubRepo({ status: "error" })).title).toBe("The last run failed");
  });
});

describe("orphanedNotice", () => {
  it("counts the processes, singular or plural, and is null without orphans", () => {
    expect(orphanedNotice(state({ orphaned_agent: { pid: null, processes: 1 } }))).toBe(
      "orphaned agent alive (1 process)",
    );
    expect(orphanedNotice(state({ orphaned_agent: { pid: 7, processes: 5 } }))).toBe(
      "orphaned agent alive (5 processes)",
    );
    expect(orphanedNotice(died)).toBeNull();
    expect(orphanedNotice(null)).toBeNull();
  });
});
