import type { StateResponse } from "../api/types.js";
import type { StreamStatus } from "../sse/client.js";

export type StatusTone = "idle" | "running" | "error" | "warn" | "unknown";

/** What the pill says. A state.json claiming "running" with no live runner is shown as stale. */
export function displayStatus(state: StateResponse | null): {
  label: string;
  tone: StatusTone;
  title: string;
} {
  if (!state) return { label: "unknown", tone: "unknown", title: "State not loaded yet" };
  if (state.running) {
    if (state.waiting) return { label: "waiting", tone: "warn", title: state.waiting.message };
    return { label: "running", tone: "running", title: "The runner is alive" };
  }
  if (state.status === "error")
    return { label: "error", tone: "error", title: state.reason ?? "The last run failed" };
  if (state.status === "running") {
    return { label: "stale", tone: "warn", title: "state.json says running but no runner is alive" };
  }
  return { label: "idle", tone: "idle", title: "No runner is running" };
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
