/** Words for the agents (issue 15): which one runs, the fallback, their usage limits, tokens and cost. Pure. */
import type { AgentName, RunRecord, TokenUsage } from "@codex-autorunner/core";
import type { StateResponse } from "../api/types.js";
import { formatCount, formatDateTime, formatUsd } from "../format.js";
import { clockTime } from "../steer/waiting.js";

const DAY_MS = 24 * 3600 * 1000;

export interface CurrentAgent {
  agent: AgentName;
  /** The primary agent it stands in for while that one sits out a usage limit, else null. */
  fallbackFrom: AgentName | null;
  /** True: the run in flight; false: the agent the next run goes to. */
  inFlight: boolean;
}

/** The run in flight's agent (its record is written with no finished_at), else the next run's. */
export function currentAgent(state: StateResponse): CurrentAgent {
  const r = state.last_run;
  if (state.running && r && r.finished_at === null)
    return { agent: r.agent, fallbackFrom: r.fallback_from, inFlight: true };
  const { next, primary } = state.agents;
  return { agent: next, fallbackFrom: next === primary ? null : primary, inFlight: false };
}

/** "codex: usage limit until 14:05" (and the agent's message) per agent sitting out a limit, soonest first. */
export function agentLimitTexts(state: StateResponse, now: number): Array<{ text: string; message: string }> {
  return state.agents.limits.map((l) => ({
    text: `${l.agent}: usage limit until ${resetTime(l.until, now)}`,
    message: l.message,
  }));
}

/** "14:05" within a day (the next 14:05 is unambiguous), else the full date and time. */
export function resetTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return t - now < DAY_MS ? clockTime(iso) : formatDateTime(iso);
}

/** "claude (fallback from codex)", or just the agent. */
export function runAgentText(r: Pick<RunRecord, "agent" | "fallback_from">): string {
  return r.fallback_from ? `${r.agent} (fallback from ${r.fallback_from})` : r.agent;
}

/** "12.3k tokens · $0.0133"; null when neither was reported (cost: Claude Code only). */
export function spendText(usage: TokenUsage | null, costUsd: number | null): string | null {
  const parts: string[] = [];
  if (usage) parts.push(`${formatCount(usage.total_tokens)} tokens`);
  if (costUsd !== null) parts.push(formatUsd(costUsd));
  return parts.length > 0 ? parts.join(" · ") : null;
}
