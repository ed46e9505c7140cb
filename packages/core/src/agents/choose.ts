import type { AgentLimits } from "../types.js";
import { type AgentName, isAgentName } from "./names.js";

/**
 * Which agent a run goes to. The primary (runner.agent) unless it sits out a usage limit; then the
 * fallback (runner.fallback_agent) unless that one is limited too; otherwise the primary, whose run
 * waits out the limit as before. Pure: the engine passes state.json's `agent_limits` and the clock.
 */
export interface AgentChoice {
  agent: AgentName;
  /** The primary this run leaves for the fallback, else null. */
  fallbackFrom: AgentName | null;
}

export interface AgentChoiceInput {
  primary: AgentName;
  fallback: AgentName | null;
  limits: AgentLimits | null | undefined;
  now: Date;
}

/** The time an agent's limit lasts until, when it is still in force at `now`. */
export function limitedUntil(
  limits: AgentLimits | null | undefined,
  agent: AgentName,
  now: Date,
): Date | null {
  const until = limits?.[agent]?.until;
  if (until === undefined) return null;
  const t = Date.parse(until);
  return Number.isFinite(t) && t > now.getTime() ? new Date(t) : null;
}

/** The fallback that may take over from `primary` (null: none configured, or the same agent). */
export function usableFallback(primary: AgentName, fallback: AgentName | null): AgentName | null {
  return fallback !== null && fallback !== primary ? fallback : null;
}

export function chooseAgent({ primary, fallback, limits, now }: AgentChoiceInput): AgentChoice {
  const other = usableFallback(primary, fallback);
  if (other === null || limitedUntil(limits, primary, now) === null)
    return { agent: primary, fallbackFrom: null };
  if (limitedUntil(limits, other, now) === null) return { agent: other, fallbackFrom: primary };
  // Both limited: the one whose limit ends first (the engine waits for it).
  const p = limitedUntil(limits, primary, now)!.getTime();
  const o = limitedUntil(limits, other, now)!.getTime();
  return o < p ? { agent: other, fallbackFrom: primary } : { agent: primary, fallbackFrom: null };
}

/** The limits still in force at `now`, plus `agent`'s new one (what state.json keeps). */
export function withAgentLimit(
  limits: AgentLimits | null | undefined,
  agent: AgentName,
  entry: { until: string; message: string },
  now: Date,
): AgentLimits {
  const kept = activeAgentLimits(limits, now).filter((l) => l.agent !== agent);
  const out: AgentLimits = {};
  for (const l of kept) out[l.agent] = { until: l.until, message: l.message };
  out[agent] = entry;
  return out;
}

/** The limits in force at `now` except `agent`'s (it just ran fine), or null when none is left. */
export function withoutAgentLimit(
  limits: AgentLimits | null | undefined,
  agent: AgentName,
  now: Date,
): AgentLimits | null {
  const out: AgentLimits = {};
  for (const l of activeAgentLimits(limits, now)) {
    if (l.agent !== agent) out[l.agent] = { until: l.until, message: l.message };
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** The limits in force at `now`, soonest reset first (for status). */
export function activeAgentLimits(
  limits: AgentLimits | null | undefined,
  now: Date,
): Array<{ agent: AgentName; until: string; message: string }> {
  const out: Array<{ agent: AgentName; until: string; message: string }> = [];
  for (const [agent, entry] of Object.entries(limits ?? {}) as Array<
    [string, { until: string; message: string }]
  >) {
    // Only agents this version knows (state.json may hold a newer version's).
    if (isAgentName(agent) && limitedUntil(limits, agent, now) !== null) {
      out.push({ agent, until: entry.until, message: entry.message });
    }
  }
  return out.sort((a, b) => Date.parse(a.until) - Date.parse(b.until));
}

/** What status shows of the agents (StateBody `agents`): configured pair, the next run's, limits in force. */
export function agentsView(
  runner: { agent: AgentName; fallback_agent: AgentName | null } | null,
  limits: AgentLimits | null | undefined,
  now: Date,
): {
  primary: AgentName;
  fallback: AgentName | null;
  next: AgentName;
  limits: Array<{ agent: AgentName; until: string; message: string }>;
} {
  const primary = runner?.agent ?? "codex";
  const fallback = usableFallback(primary, runner?.fallback_agent ?? null);
  return {
    primary,
    fallback,
    next: chooseAgent({ primary, fallback, limits, now }).agent,
    limits: activeAgentLimits(limits, now),
  };
}
