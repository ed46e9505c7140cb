/** Words for the runner's waits (issue 13): the usage-limit countdown and a quiet run. Pure. */
import { remainingWait } from "@codex-autorunner/core";
import type { StateResponse } from "../api/types.js";
import { formatDuration } from "../format.js";

/** "4:10", "1:02:03", "0:00" (never negative) for a time left in ms. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "14:05" (local time of day). */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/**
 * The rate-limit line: "Usage limit — resumes in 4:10 (at 14:05)" while a runner waits it out; a dead
 * runner's leftover wait says what `car resume` will do with it.
 */
export function limitText(state: StateResponse, now: number): string | null {
  const w = state.waiting;
  if (!w || w.reason !== "rate_limit") return null;
  // Core's measure (what `car resume` honours): never longer than the wait was, whatever the clock says.
  const left = remainingWait({ reason: w.reason, until: w.until, since: w.since }, new Date(now));
  if (!state.running) {
    return left > 0
      ? `Usage limit until ${clockTime(w.until)} — Resume waits out the remaining ${countdown(left)}`
      : null;
  }
  return left > 0
    ? `Usage limit — resumes in ${countdown(left)} (at ${clockTime(w.until)})`
    : "Usage limit — resuming…";
}

/** The agent's NEEDS_INPUT question while a live runner waits for the answer, else null. */
export function pendingQuestion(state: StateResponse | null): string | null {
  if (!state?.running) return null;
  const w = state.waiting;
  if (w?.reason === "needs_input") return w.message ?? "The agent needs a decision (no question given).";
  return state.status === "waiting_input" ? "The agent needs a decision (no question given)." : null;
}

/** "quiet for 3m 12s · last command: npm test" while the run in flight is silent. */
export function quietText(state: StateResponse, now: number): string | null {
  const q = state.quiet;
  if (!q || !state.running) return null;
  const base = `quiet for ${formatDuration(now - Date.parse(q.since))}`;
  return q.last_command ? `${base} · last command: ${q.last_command}` : base;
}
