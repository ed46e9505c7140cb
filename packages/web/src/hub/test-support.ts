/** Fixtures for the hub's unit tests (never bundled: only tests import this). */
import { emptyHubRepo, type HubRepo, hubRepoSchema } from "@codex-autorunner/core";

/** A repo as the hub sends it: checked against core's contract, so no invented shapes. */
export function hubRepo(patch: Partial<HubRepo> = {}): HubRepo {
  const identity = {
    id: "services~api",
    name: "api",
    path: "/hub/services/api",
    source: "discovered",
  } as const;
  return hubRepoSchema.parse({ ...emptyHubRepo(identity), outstanding_count: 3, done_count: 1, ...patch });
}
