/** What a hub card shows for one repo (`GET /hub/repos` / the hub stream's HubRepo). Pure. */
import type { HubRepo } from "@codex-autorunner/core";
import { formatCount, formatDateTime } from "../format.js";
import { clockTime } from "../steer/waiting.js";
import { hubRepoStatus, type StatusView } from "../ui/status.js";

export interface CardView {
  /** The repo's path under the hub's root ("services/api"), else its folder's name. */
  title: string;
  badge: StatusView;
  /** One line under the name: the queue place, the wait, or why the repo cannot be used. */
  detail: { text: string; tone: "error" | "warn" } | null;
  /** TODO items done of done + outstanding; null when the hub cannot read the TODO. */
  progress: { done: number; total: number; pct: number } | null;
  /** "#3 · exit 0 · 12:01:00", or "no runs yet". */
  lastRun: string;
  /** "12.3k tokens" in all runs, or null when none were counted. */
  tokens: string | null;
  /** Start makes sense: a usable repo with no runner and no queued start. */
  canStart: boolean;
  /** Stop ends a live runner after its run; on a queued start it cancels the start. */
  canStop: boolean;
  stopLabel: "Stop" | "Cancel";
}

/** The repo cannot be run from the hub: its folder, config.yml or TODO is not usable. */
const UNUSABLE = new Set<HubRepo["status"]>(["missing", "uninitialised", "config_error"]);

export function cardView(repo: HubRepo, root = ""): CardView {
  const queued = repo.queued !== null && !repo.running;
  const base = root.endsWith("/") ? root : `${root}/`;
  const badge = hubRepoStatus(repo);
  return {
    title: root && repo.path.startsWith(base) ? repo.path.slice(base.length) : repo.name,
    badge,
    detail: detail(repo, badge),
    progress: progress(repo.done_count, repo.outstanding_count),
    lastRun: lastRun(repo.last_run, repo.running),
    tokens: repo.tokens.total ? `${formatCount(repo.tokens.total.total_tokens)} tokens` : null,
    canStart: !UNUSABLE.has(repo.status) && !repo.running && !queued,
    canStop: repo.running || queued,
    stopLabel: queued ? "Cancel" : "Stop",
  };
}

function detail(repo: HubRepo, badge: StatusView): CardView["detail"] {
  if (UNUSABLE.has(repo.status) || (repo.status === "error" && repo.error)) {
    // Not set up yet is a next step, not a failure.
    const tone = repo.status === "uninitialised" ? "warn" : "error";
    return { text: repo.error ?? badge.title, tone };
  }
  if (repo.queued && !repo.running)
    return {
      text: `#${repo.queued.position} in queue since ${formatDateTime(repo.queued.since)}`,
      tone: "warn",
    };
  if (repo.waiting && repo.running) {
    return repo.waiting.reason === "needs_input"
      ? { text: "The agent asked a question", tone: "warn" }
      : { text: `Usage limit: waiting until ${clockTime(repo.waiting.until)}`, tone: "warn" };
  }
  return null;
}

export function progress(done: number | null, outstanding: number | null): CardView["progress"] {
  if (done === null || outstanding === null) return null;
  const total = done + outstanding;
  return { done, total, pct: total === 0 ? 0 : Math.round((done / total) * 100) };
}

function lastRun(run: HubRepo["last_run"], running: boolean): string {
  if (!run) return "no runs yet";
  if (!run.finished_at) return `#${run.id} · ${running ? "in progress" : "unfinished"}`;
  const exit = run.exit_code === null ? "no exit code" : `exit ${run.exit_code}`;
  return `#${run.id} · ${exit} · ${formatDateTime(run.finished_at)}`;
}
