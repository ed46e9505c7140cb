import {
  emptyStateBody,
  newRunRecord,
  type RunRecord,
  type StateBody,
  stateBodySchema,
} from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { formatDateTime } from "../format.js";
import { clockTime } from "../steer/waiting.js";
import { agentLimitTexts, currentAgent, resetTime, runAgentText, spendText } from "./view.js";

const NOW = Date.parse("2026-12-05T12:00:00Z");
/** A state as the server sends it (checked against core's contract). */
const state = (patch: Partial<StateBody>): StateBody =>
  stateBodySchema.parse({ ...emptyStateBody("/repo"), ...patch });
const run = (patch: Partial<RunRecord>): RunRecord => ({
  ...newRunRecord({
    id: 4,
    todoBefore: { outstanding: 2, done: 1 },
    backend: "claude-json",
    agent: "claude",
  }),
  ...patch,
});
const live = { status: "running", running: true, runner_pid: 9, lock: { info: null, alive: true } } as const;
const codexLimited: StateBody["agents"] = {
  primary: "codex",
  fallback: "claude",
  next: "claude",
  limits: [{ agent: "codex", until: "2026-12-05T14:05:00Z", message: "usage limit reached" }],
};

describe("currentAgent", () => {
  it("the run in flight names its agent and the primary it stands in for", () => {
    const s = state({ ...live, agents: codexLimited, last_run: run({ fallback_from: "codex" }) });
    expect(currentAgent(s)).toEqual({ agent: "claude", fallbackFrom: "codex", inFlight: true });
  });

  it("with no run in flight, the agent the next run goes to", () => {
    // The runner is alive between runs: its last run is finished, the next one goes to agents.next.
    const between = state({ ...live, last_run: run({ finished_at: "2026-12-05T11:59:00Z" }) });
    expect(currentAgent(between)).toEqual({ agent: "codex", fallbackFrom: null, inFlight: false });
    // Idle while codex is limited: the next run is claude's, standing in for codex.
    expect(currentAgent(state({ agents: codexLimited }))).toEqual({
      agent: "claude",
      fallbackFrom: "codex",
      inFlight: false,
    });
    // An unfinished record of a runner that is gone is not in flight.
    expect(currentAgent(state({ last_run: run({}) })).inFlight).toBe(false);
  });
});

describe("agentLimitTexts", () => {
  it("each limited agent with its reset time and message", () => {
    expect(agentLimitTexts(state({ agents: codexLimited }), NOW)).toEqual([
      {
        text: `codex: usage limit until ${clockTime("2026-12-05T14:05:00Z")}`,
        message: "usage limit reached",
      },
    ]);
    expect(agentLimitTexts(state({}), NOW)).toEqual([]);
  });

  it("a reset more than a day away carries its date", () => {
    expect(resetTime("2026-12-05T14:05:00Z", NOW)).toBe(clockTime("2026-12-05T14:05:00Z"));
    expect(resetTime("2026-12-09T14:05:00Z", NOW)).toBe(formatDateTime("2026-12-09T14:05:00Z"));
    expect(resetTime("2026-12-09T14:05:00Z", NOW)).toMatch(/^2026-12-\d\d \d\d:\d\d:00$/);
    expect(resetTime("soon", NOW)).toBe("soon");
  });
});

describe("runAgentText", () => {
  it("names the agent and the primary a fallback run left", () => {
    expect(runAgentText(run({}))).toBe("claude");
    expect(runAgentText(run({ fallback_from: "codex" }))).toBe("claude (fallback from codex)");
  });
});

describe("spendText", () => {
  const usage = {
    input_tokens: 1000,
    cached_input_tokens: 0,
    output_tokens: 234,
    reasoning_output_tokens: 0,
    total_tokens: 1234,
  };
  it("tokens and cost, whichever were reported", () => {
    expect(spendText(usage, 0.0133)).toBe("1.2k tokens · $0.0133");
    expect(spendText(usage, null)).toBe("1.2k tokens");
    expect(spendText(null, 0.5)).toBe("$0.5000");
    expect(spendText(null, null)).toBeNull();
  });
});
