import { describe, expect, it } from "vitest";
import { hubRepoSchema } from "../contract/hub.js";
import { emptyStateBody } from "../contract/state.js";
import { hubRepoFromStatus, unusableHubRepo } from "./summary.js";

const ref = { id: "api", name: "api", path: "/hub/api", source: "discovered" as const };

describe("hub repo cards", () => {
  it("from a status: counts, last run, tokens, waiting; valid by the contract", () => {
    const body = emptyStateBody("/hub/api", {
      status: "waiting",
      running: true,
      runner_pid: 42,
      outstanding_count: 2,
      done_count: 1,
      last_run_id: 3,
      last_exit_code: 0,
      last_run_finished_at: "2026-01-01T00:00:00Z",
      waiting: {
        reason: "rate_limit",
        until: "2026-01-01T01:00:00Z",
        since: "2026-01-01T00:00:00Z",
        message: "x",
      },
    });
    const card = hubRepoSchema.parse(hubRepoFromStatus(ref, body, null));
    expect(card).toMatchObject({
      id: "api",
      status: "waiting",
      error: null,
      running: true,
      runner_pid: 42,
      outstanding_count: 2,
      done_count: 1,
      last_run: { id: 3, exit_code: 0, finished_at: "2026-01-01T00:00:00Z" },
      waiting: { reason: "rate_limit", until: "2026-01-01T01:00:00Z" },
      queued: null,
    });
  });

  it("a queued start carries its position; an error status its reason; a broken config is config_error", () => {
    const queued = emptyStateBody("/hub/api", { status: "queued", queued: { since: "t", once: true } });
    expect(hubRepoFromStatus(ref, queued, 2).queued).toEqual({ since: "t", once: true, position: 2 });
    const failed = emptyStateBody("/hub/api", { status: "error", reason: "agent exited 3" });
    expect(hubRepoFromStatus(ref, failed, null)).toMatchObject({ status: "error", error: "agent exited 3" });
    const broken = emptyStateBody("/hub/api", { config_error: "config.yml: bad" });
    expect(hubRepoFromStatus(ref, broken, null)).toMatchObject({
      status: "config_error",
      error: "config.yml: bad",
    });
  });

  it("an unusable repo is listed with its status and error", () => {
    const card = hubRepoSchema.parse(unusableHubRepo(ref, "missing", "/hub/api does not exist"));
    expect(card).toMatchObject({
      status: "missing",
      error: "/hub/api does not exist",
      running: false,
      last_run: null,
    });
  });
});
