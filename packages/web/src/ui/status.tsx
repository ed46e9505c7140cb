import type { StateResponse } from "../api/types.js";
import type { StreamStatus } from "../sse/client.js";
import { pendingQuestion } from "../steer/waiting.js";

export type StatusTone = "idle" | "running" | "error" | "warn" | "unknown";

/**
 * What the pill says. A runner that died mid-run leaves `stale` set (its status is then "error");
 * processes of its run still alive after it (`orphaned_agent`) come first: they may still change the
 * repo and call the model until Kill ends them.
 */
export function displayStatus(state: StateResponse | null): {
  label: string;
  tone: StatusTone;
  title: string;
} {
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

export function StatusPill({ state, large }: { state: StateResponse | null; large?: boolean }) {
  const s = displayStatus(state);
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
