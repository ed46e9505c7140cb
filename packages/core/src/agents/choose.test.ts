import { describe, expect, it } from "vitest";
import {
  activeAgentLimits,
  agentsView,
  chooseAgent,
  limitedUntil,
  withAgentLimit,
  withoutAgentLimit,
} from "./choose.js";

const now = new Date("2026-12-05T10:00:00Z");
const later = "2026-12-05T10:30:00Z";
const earlier = "2026-12-05T09:00:00Z";

describe("chooseAgent", () => {
  it("keeps the primary while it has no limit in force, whatever the fallback", () => {
    expect(chooseAgent({ primary: "codex", fallback: "claude", limits: null, now })).toEqual({
      agent: "codex",
      fallbackFrom: null,
    });
    // A limit whose reset time passed means nothing: the primary is tried again.
    const passed = { codex: { until: earlier, message: "429" } };
    expect(chooseAgent({ primary: "codex", fallback: "claude", limits: passed, now }).agent).toBe("codex");
  });

  it("goes to the fallback while the primary is limited, and names the primary it left", () => {
    const limits = { codex: { until: later, message: "usage limit" } };
    expect(chooseAgent({ primary: "codex", fallback: "claude", limits, now })).toEqual({
      agent: "claude",
      fallbackFrom: "codex",
    });
    // No fallback, or the same agent as fallback: the primary (its run waits out the limit).
    expect(chooseAgent({ primary: "codex", fallback: null, limits, now }).agent).toBe("codex");
    expect(chooseAgent({ primary: "codex", fallback: "codex", limits, now }).agent).toBe("codex");
  });

  it("with both limited picks the one whose limit ends first", () => {
    const limits = {
      codex: { until: later, message: "a" },
      claude: { until: "2026-12-05T10:10:00Z", message: "b" },
    };
    expect(chooseAgent({ primary: "codex", fallback: "claude", limits, now }).agent).toBe("claude");
    const swapped = { codex: limits.claude, claude: limits.codex };
    expect(chooseAgent({ primary: "codex", fallback: "claude", limits: swapped, now }).agent).toBe("codex");
  });
});

describe("agent limits", () => {
  it("reads a limit only while it is in force, and an unparsable time as none", () => {
    expect(limitedUntil({ codex: { until: later, message: "" } }, "codex", now)?.toISOString()).toBe(
      "2026-12-05T10:30:00.000Z",
    );
    expect(limitedUntil({ codex: { until: "soon", message: "" } }, "codex", now)).toBeNull();
    expect(limitedUntil({ codex: { until: later, message: "" } }, "claude", now)).toBeNull();
  });

  it("drops limits that passed when adding one, and lists the rest soonest first", () => {
    const limits = withAgentLimit(
      { claude: { until: earlier, message: "old" } },
      "codex",
      { until: later, message: "new" },
      now,
    );
    expect(limits).toEqual({ codex: { until: later, message: "new" } });
    const both = withAgentLimit(limits, "claude", { until: "2026-12-05T10:05:00Z", message: "c" }, now);
    expect(activeAgentLimits(both, now).map((l) => l.agent)).toEqual(["claude", "codex"]);
  });

  it("ignores agents this version does not know, and drops an agent's limit once it ran fine", () => {
    const limits = {
      gemini: { until: later, message: "newer version" },
      codex: { until: later, message: "a" },
      claude: { until: later, message: "b" },
    } as never;
    expect(activeAgentLimits(limits, now).map((l) => l.agent)).toEqual(["codex", "claude"]);
    expect(withoutAgentLimit(limits, "codex", now)).toEqual({ claude: { until: later, message: "b" } });
    expect(withoutAgentLimit({ codex: { until: later, message: "a" } }, "codex", now)).toBeNull();
  });

  it("agentsView says which agent the next run uses", () => {
    const view = agentsView(
      { agent: "codex", fallback_agent: "claude" },
      { codex: { until: later, message: "m" } },
      now,
    );
    expect(view).toEqual({
      primary: "codex",
      fallback: "claude",
      next: "claude",
      limits: [{ agent: "codex", until: later, message: "m" }],
    });
    expect(agentsView(null, null, now)).toEqual({
      primary: "codex",
      fallback: null,
      next: "codex",
      limits: [],
    });
  });
});
