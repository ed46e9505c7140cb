import type { HubRepo } from "../contract/hub.js";
import type { StateBody } from "../contract/state.js";

/** What the hub knows of a repo before reading it (node/hub/types.ts's HubRepoRef without `location`). */
export interface HubRepoIdentity {
  id: string;
  name: string;
  path: string;
  source: HubRepo["source"];
}

/**
 * A repo's card from its status (getStatus, broken config tolerated). `position` is its place in the
 * hub's queue when it has a queued start. A broken config.yml shows as `config_error` with the parser's
 * message (its runner, if any, still shows as running); an `error` status carries its reason.
 */
export function hubRepoFromStatus(repo: HubRepoIdentity, body: StateBody, position: number | null): HubRepo {
  const status = body.config_error !== null ? "config_error" : body.status;
  const error = body.config_error ?? (body.status === "error" ? body.reason : null);
  return {
    ...identity(repo),
    status,
    error,
    running: body.running,
    runner_pid: body.runner_pid,
    outstanding_count: body.outstanding_count,
    done_count: body.done_count,
    last_run:
      body.last_run_id === null
        ? null
        : { id: body.last_run_id, exit_code: body.last_exit_code, finished_at: body.last_run_finished_at },
    tokens: { last_run: body.tokens.last_run, total: body.tokens.total },
    waiting: body.waiting ? { reason: body.waiting.reason, until: body.waiting.until } : null,
    queued: body.queued && position !== null ? { ...body.queued, position } : null,
  };
}

/** A repo the hub cannot read: its folder is gone, it is not initialised, or reading it failed. */
export function unusableHubRepo(
  repo: HubRepoIdentity,
  status: "missing" | "uninitialised" | "config_error" | "error",
  error: string,
): HubRepo {
  return { ...emptyHubRepo(repo), status, error };
}

/** A card before anything is read from the repo: idle, nothing known. */
export function emptyHubRepo(repo: HubRepoIdentity): HubRepo {
  return {
    ...identity(repo),
    status: "idle",
    error: null,
    running: false,
    runner_pid: null,
    outstanding_count: null,
    done_count: null,
    last_run: null,
    tokens: { last_run: null, total: null },
    waiting: null,
    queued: null,
  };
}

function identity(repo: HubRepoIdentity): HubRepoIdentity {
  return { id: repo.id, name: repo.name, path: repo.path, source: repo.source };
}
