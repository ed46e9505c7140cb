/** Fixtures for the hub's unit tests (never bundled: only tests import this). */
import { type HubRepo, hubRepoSchema } from "@codex-autorunner/core";

/** A repo as the hub sends it: checked against core's contract, so no invented shapes. */
export function hubRepo(patch: Partial<HubRepo> = {}): HubRepo {
  return hubRepoSchema.parse({
    id: "services~api",
    name: "api",
    path: "/hub/services/api",
    source: "discovered",
    status: "idle",
    error: null,
    running: false,
    runner_pid: null,
    outstanding_count: 3,
    done_count: 1,
    last_run: null,
    tokens: { last_run: null, total: null },
    waiting: null,
    queued: null,
    ...patch,
  });
}
