import { emptyStateBody, newRunRecord, type StateBody } from "@codex-autorunner/core";
import { makeTerminalSafe } from "@codex-autorunner/core/node/lite";
import { describe, expect, it } from "vitest";
import { formatStatus } from "./status-format.js";
import { colors } from "./tty.js";

// `car status`'s rows for issue 13: a usage-limit wait, the agent's question, a quiet run and a
// notification that could not be delivered. Times are built in local time (status shows the clock).
const NOW = new Date(2026, 11, 4, 23, 0, 0).getTime();
const iso = (msFromNow: number) => new Date(NOW + msFromNow).toISOString();
const plain = colors(false);

function rows(patch: Partial<StateBody>, c = plain): string[] {
  return formatStatus(emptyStateBody("/repo", patch), c, makeTerminalSafe, NOW);
}
const live = { running: true, lock: { info: null, alive: true } };

describe("formatStatus: waits, quiet runs, notifications", () => {
  it("a usage-limit wait shows the time left and the clock time it resumes, and the limit message", () => {
    const lines = rows({
      ...live,
      status: "waiting",
      waiting: {
        reason: "rate_limit",
        until: iso(250_000),
        since: iso(-10_000),
        message: "429 slow down\x1b[2J",
      },
    });
    expect(lines).toContain("status:     waiting");
    expect(lines).toContain("waiting:    rate limit, resumes in 4m10s (at 23:04:10)");
    const limit = lines.find((l) => l.startsWith("limit:"));
    expect(limit).toMatch(/^limit: {6}429 slow down/);
    expect(limit).not.toContain("\x1b");
  });

  it("a wait left behind by a dead runner says `car resume` waits out the rest", () => {
    const lines = rows({
      status: "error",
      stale: true,
      waiting: { reason: "rate_limit", until: iso(60_000), since: iso(-10_000), message: null },
    });
    expect(lines).toContain("waiting:    rate limit until 23:01:00: `car resume` waits out the rest");
    expect(lines.some((l) => l.startsWith("limit:"))).toBe(false);
    const over = rows({
      status: "error",
      waiting: { reason: "rate_limit", until: iso(-1_000), since: iso(-60_000), message: "limit" },
    });
    expect(over.some((l) => l.startsWith("waiting:") || l.startsWith("limit:"))).toBe(false);
  });

  it("a start queued by a hub says since when and that `car stop` cancels it; a live runner hides it", () => {
    const lines = rows({ status: "queued", queued: { since: iso(-30_000), once: true } });
    expect(lines).toContain("status:     queued");
    expect(lines).toContain(
      "queued:     since 22:59:30 (one run): the hub starts it when a slot is free; `car stop` cancels",
    );
    const running = rows({ ...live, status: "running", queued: { since: iso(-30_000), once: false } });
    expect(running.some((l) => l.startsWith("queued:"))).toBe(false);
  });

  it("waiting_input shows the question and how to answer it", () => {
    const lines = rows({
      ...live,
      status: "waiting_input",
      waiting: {
        reason: "needs_input",
        until: iso(1_800_000),
        since: iso(-5_000),
        message: "Use Postgres or SQLite?",
      },
    });
    expect(lines).toContain("status:     waiting_input");
    expect(lines).toContain("question:   Use Postgres or SQLite?");
    expect(lines).toContain(
      'answer:     car steer "<your answer>" (the loop gives up in 30m00s, at 23:30:00)',
    );
    const dead = rows({
      status: "error",
      waiting: { reason: "needs_input", until: iso(1_800_000), since: iso(-5_000), message: "Which DB?" },
    });
    expect(dead).toContain('answer:     car steer "<your answer>", then `car resume`');
    // A give-up time on another day is shown in full.
    const tomorrow = rows({
      ...live,
      status: "waiting_input",
      waiting: { reason: "needs_input", until: iso(86_400_000), since: iso(0), message: "?" },
    });
    expect(tomorrow.find((l) => l.startsWith("answer:"))).toContain(`at ${iso(86_400_000)})`);
  });

  it("a quiet run says for how long and the command the agent started last", () => {
    const lines = rows({
      ...live,
      status: "running",
      quiet: { run_id: 7, since: iso(-192_000), last_command: "npm test" },
    });
    expect(lines).toContain("quiet:      run 7 quiet for 3m12s; last command: npm test");
    const noCmd = rows({
      ...live,
      status: "running",
      quiet: { run_id: 7, since: iso(-45_000), last_command: null },
    });
    expect(noCmd).toContain("quiet:      run 7 quiet for 45.0s");
    const odd = rows({ ...live, quiet: { run_id: 7, since: "\x1b[2Jsoon", last_command: "x\x1b[31m" } });
    expect(odd.find((l) => l.startsWith("quiet:"))).toMatch(
      /^quiet: {6}run 7 quiet for \u241b\[2Jsoon; last/,
    );
    expect(odd.join("\n")).not.toContain("\x1b");
  });

  it("the last failed notification: target, event, error and when", () => {
    const at = "2026-12-04T22:58:00.000Z";
    const lines = rows({
      notify_error: { target: "slack[1]", event: "loop_stopped", error: "HTTP 404", at },
    });
    expect(lines).toContain(`notify:     slack[1] (loop_stopped): HTTP 404 at ${at}`);
    // state.json is only a file: every field is made terminal-safe.
    const hostile = rows({
      notify_error: { target: "x\x1b]0;t\x07", event: "e\x1b[2J", error: "boom\x1b[31m", at: "\x1b[1m" },
    });
    const line = hostile.find((l) => l.startsWith("notify:")) ?? "";
    expect(line).toMatch(/^notify: .*boom/);
    expect(line).not.toContain("\x1b");
  });

  it("colours: waiting yellow, waiting_input bold yellow", () => {
    const c = colors(true);
    expect(rows({ ...live, status: "waiting" }, c).find((l) => l.startsWith("status:"))).toContain(
      "\x1b[33mwaiting\x1b[39m",
    );
    expect(rows({ ...live, status: "waiting_input" }, c).find((l) => l.startsWith("status:"))).toContain(
      "\x1b[1m\x1b[33mwaiting_input\x1b[39m\x1b[22m",
    );
  });
});

describe("formatStatus: agents and cost", () => {
  const record = (patch: Partial<NonNullable<StateBody["last_run"]>>) => ({
    ...newRunRecord({
      id: 4,
      startedAt: iso(-60_000),
      todoBefore: { outstanding: 2, done: 1 },
      backend: "x",
    }),
    finished_at: iso(-1_000),
    duration_ms: 59_000,
    exit_code: 0,
    outcome: "completed" as const,
    ...patch,
  });

  it("the last run's agent, `(fallback from …)` when it stood in, and its cost beside the total", () => {
    const codex = rows({ last_run_id: 4, last_run: record({}) });
    expect(codex).toContain("agent:      codex");
    // Codex reports no cost: no cost row.
    expect(codex.some((l) => l.startsWith("cost:"))).toBe(false);

    const claude = rows({
      last_run_id: 4,
      last_run: record({ agent: "claude", fallback_from: "codex", cost_usd: 0.01234 }),
      cost_usd: { last_run: 0.01234, total: 1.5 },
    });
    expect(claude).toContain("agent:      claude (fallback from codex)");
    expect(claude).toContain("cost:       last run $0.0123, total $1.50");
    // A codex run after claude ones: the total stays, the last run's is unknown.
    expect(
      rows({ last_run_id: 4, last_run: record({}), cost_usd: { last_run: null, total: 0.5 } }),
    ).toContain("cost:       last run -, total $0.5000");
  });

  it("each agent sitting out a usage limit, with its reset time; the next run's agent when it is the fallback", () => {
    const lines = rows({
      agents: {
        primary: "codex",
        fallback: "claude",
        next: "claude",
        limits: [
          { agent: "codex", until: iso(1_800_000), message: "usage limit reached" },
          { agent: "claude", until: iso(86_400_000), message: "429" },
        ],
      },
    });
    expect(lines).toContain("limited:    codex until 23:30:00 (in 30m00s)");
    expect(lines.find((l) => l.startsWith("limited:    claude"))).toBe(
      `limited:    claude until ${iso(86_400_000)} (in 24h00m)`,
    );
    expect(lines).toContain("next run:   claude (fallback while codex is usage-limited)");
    // The primary again: no next-run row, no limit rows.
    const back = rows({ agents: { primary: "codex", fallback: "claude", next: "codex", limits: [] } });
    expect(back.some((l) => l.startsWith("next run:") || l.startsWith("limited:"))).toBe(false);
    // state.json is only a file: an agent name from it is made terminal-safe.
    const odd = rows({
      agents: {
        primary: "codex",
        fallback: null,
        next: "codex",
        limits: [{ agent: "x\x1b[2J" as "codex", until: iso(60_000), message: "" }],
      },
    });
    expect(odd.join("\n")).not.toContain("\x1b");
  });
});
