import type { HubRepo } from "@codex-autorunner/core";
import type { StateResponse } from "../api/types.js";
import { formatDateTime } from "../format.js";
import type { StreamStatus } from "../sse/client.js";
import { clockTime, pendingQuestion } from "../steer/waiting.js";

export type StatusTone = "idle" | "running" | "error" | "warn" | "unknown";

/** What a status badge shows: a short label (also its `data-status`), its colour, a tooltip. */
export interface StatusView {
  label: string;
  tone: StatusTone;
  title: string;
}

/** A start a hub holds back until one of its `max_concurrent_runs` slots frees up. */
function queuedView(since: string, position?: number): StatusView {
  const place = position ? `#${position} in the hub's queue` : "In the hub's queue";
  return {
    label: "queued",
    tone: "warn",
    title: `${place} since ${formatDateTime(since)}: starts when a run slot frees up (Stop cancels it)`,
  };
}

/**
 * What the pill says. A runner that died mid-run leaves `stale` set (its status is then "error");
 * processes of its run still alive after it (`orphaned_agent`) come first: they may still change the
 * repo and call the model until Kill ends them.
 */
export function displayStatus(state: StateResponse | null): StatusView {
  if (!state) return { label: "unknown", tone: "unknown", title: "State not loaded yet" };
  const question = pendingQuestion(state);
  if (question !== null) return { label: "needs input", tone: "warn", title: question };
  if (state.running) {
    if (state.status === "waiting" || state.waiting)
      return { label: "waiting", tone: "warn", title: state.waiting?.message ?? "Usage limit: waiting" };
    return { label: "running", tone: "running", title: "The runner is alive" };
  }
  const orphans = orphanedNotice(state);
  if (orphans) return { label: "orphaned", tone: "error", title: `The runner died: ${orphans}` };
  if (state.queued) return queuedView(state.queued.since);
  if (state.stale) {
    return { label: "stale", tone: "warn", title: state.reason ?? "The runner died during a run" };
  }
  if (state.status === "error")
    return { label: "error", tone: "error", title: state.reason ?? "The last run failed" };
  return { label: "idle", tone: "idle", title: "No runner is running" };
}

/** "orphaned agent alive (N processes)" while processes of a dead runner's run live on, else null. */
export function orphanedNotice(state: StateResponse | null): string | null {
  const n = state?.orphaned_agent?.processes;
  return n ? `orphaned agent alive (${n} ${n === 1 ? "process" : "processes"})` : null;
}

/**
 * A hub card's badge: the repo's status as `GET /hub/repos` reports it, worded like the dashboard's
 * pill, plus the states only a hub sees (a missing folder, no config.yml, a broken config.yml).
 */
export function hubRepoStatus(repo: HubRepo): StatusView {
  const why = repo.error ?? "";
  switch (repo.status) {
    case "missing":
      return { label: "missing", tone: "error", title: why || "The repo's folder is gone" };
    case "uninitialised":
      return { label: "uninitialised", tone: "unknown", title: why || "No .codex-autorunner/config.yml" };
    case "config_error":
      return { label: "config error", tone: "error", title: why || "config.yml is invalid" };
    case "queued":
      return queuedView(repo.queued?.since ?? "", repo.queued?.position);
    case "waiting_input":
      return { label: "needs input", tone: "warn", title: "The agent asked a question: open the repo" };
    case "waiting":
      return {
        label: "waiting",
        tone: "warn",
        title: repo.waiting ? `Usage limit: waiting until ${clockTime(repo.waiting.until)}` : "Waiting",
      };
    case "running":
      return { label: "running", tone: "running", title: "The runner is alive" };
    case "error":
      return { label: "error", tone: "error", title: why || "The last run failed" };
    default:
      return { label: "idle", tone: "idle", title: "No runner is running" };
  }
}

export function StatusPill({ state, large }: { state: StateResponse | null; large?: boolean }) {
  return <StatusBadge view={displayStatus(state)} large={large} />;
}

export function StatusBadge({ view: s, large }: { view: StatusView; large?: boolean }) {
  return (
    <span
      class={`pill pill-${s.tone}${large ? " pill-lg" : ""}`}
      title={s.title}
      data-testid="status-pill"
      data-status={s.label}
    >
      <span class="pill-dot" aria-hidden="true" />
      {s.label}
    </span>
  );
}

const CONN_LABEL: Record<StreamStatus, string> = {
  connecting: "connecting…",
  open: "live",
  reconnecting: "reconnecting…",
  unauthorized: "token needed",
  failed: "offline",
  closed: "closed",
};

export function ConnIndicator({ status, detail }: { status: StreamStatus; detail: string }) {
  const label = CONN_LABEL[status];
  return (
    <output
      class={`conn conn-${status}`}
      aria-live="polite"
      title={detail ? `Live stream: ${label} (${detail})` : `Live stream: ${label}`}
      data-testid="conn"
      data-conn={status}
    >
      <span class="conn-dot" aria-hidden="true" />
      <span class="conn-label">{label}</span>
    </output>
  );
}
