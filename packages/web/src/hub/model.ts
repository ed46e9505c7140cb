/** The hub page's picture of the repos, kept up to date from `/hub/stream`'s events. Pure. */
import type { HubRepo, HubStreamEventData } from "@codex-autorunner/core";

export interface HubModel {
  /** False until the stream's first `repos` snapshot arrived. */
  loaded: boolean;
  root: string;
  cap: number | null;
  activeRuns: number;
  repos: HubRepo[];
}

export const EMPTY_HUB: HubModel = { loaded: false, root: "", cap: null, activeRuns: 0, repos: [] };

/**
 * The model after one stream event: `repos` replaces everything (first on connect, and whenever the
 * server cannot replay), `repo` updates one card in place (a new repo goes last), `removed` drops one.
 * Unreadable data or other events (ping, error) leave it as it is.
 */
export function applyHubEvent(model: HubModel, event: string, data: string): HubModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return model;
  }
  if (!parsed || typeof parsed !== "object") return model;
  switch (event) {
    case "repos": {
      const d = parsed as HubStreamEventData["repos"];
      if (!Array.isArray(d.repos)) return model;
      return {
        loaded: true,
        root: d.root,
        cap: d.max_concurrent_runs,
        activeRuns: d.active_runs,
        repos: d.repos,
      };
    }
    case "repo": {
      const { repo, active_runs } = parsed as HubStreamEventData["repo"];
      if (!repo?.id) return model;
      const at = model.repos.findIndex((r) => r.id === repo.id);
      const repos = at === -1 ? [...model.repos, repo] : model.repos.map((r, i) => (i === at ? repo : r));
      return { ...model, activeRuns: active_runs, repos };
    }
    case "removed": {
      const { id, active_runs } = parsed as HubStreamEventData["removed"];
      return { ...model, activeRuns: active_runs, repos: model.repos.filter((r) => r.id !== id) };
    }
    default:
      return model;
  }
}

/** "2 running · cap 3", "1 running", "idle" for the page's header. */
export function runsSummary(model: HubModel): string {
  const running = model.activeRuns > 0 ? `${model.activeRuns} running` : "none running";
  return model.cap === null ? running : `${running} · cap ${model.cap}`;
}
