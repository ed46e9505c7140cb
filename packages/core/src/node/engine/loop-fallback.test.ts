import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentName } from "../../agents/names.js";
import { plainBackend } from "../agent/plain.js";
import { readRunRecord } from "../runs-store.js";
import { readState, writeState } from "../state-store.js";
import { getStatus } from "../status.js";
import { runLoop } from "./loop.js";
import { agentEnv, rateLimitedBackend, readText, useTestRepos, waitFor } from "./test-fixtures.js";

// runner.fallback_agent: a usage-limited primary hands its runs to the fallback until its reset time.
// Both agents are the stand-in (plain output); a fake backend makes codex's first attempt a limit.

const makeRepo = useTestRepos();
const bothAgents = (runner: string) =>
  makeRepo({
    runner,
    // The limited attempt ticks an item too (the fake limit comes after the stand-in's work).
    todo: "# TODO\n\n- [ ] one\n- [ ] two\n- [ ] three\n- [ ] four\n- [ ] five\n",
    extraYaml: "claude:\n  binary: CLAUDE_BIN\n  args: [AGENT]\n",
  });

async function setup(runner: string) {
  const made = await bothAgents(runner);
  // The claude section runs the same stand-in agent as codex.
  const file = `${made.repo.root}/.codex-autorunner/config.yml`;
  const { promises: fsp } = await import("node:fs");
  const yaml = (await fsp.readFile(file, "utf8"))
    .replace("CLAUDE_BIN", JSON.stringify(process.execPath))
    .replace("[AGENT]", `[${JSON.stringify(made.repo.agent)}]`);
  await fsp.writeFile(file, yaml);
  return made;
}

describe("fallback agent", () => {
  it("runs on the fallback while the primary is limited, then goes back to the primary after its reset", async () => {
    const { repo, paths } = await setup("  agent: codex\n  fallback_agent: claude\n  stop_after_runs: 2");
    const codex = rateLimitedBackend(1, 1_500);
    const backend = (agent: AgentName) => (agent === "codex" ? codex : plainBackend);
    expect(await runLoop({ root: repo.root, env: agentEnv(repo), backend })).toMatchObject({
      reason: "run_limit",
      runs: 2,
    });

    // Run 1: codex hit its limit, the same run went on with claude at once (no wait, no retry).
    const r1 = await readRunRecord(paths, 1);
    expect(r1).toMatchObject({ agent: "claude", fallback_from: "codex", attempts: 2, outcome: "completed" });
    expect(r1?.limit_wait_ms).toBe(0);
    // Run 2 started while codex's limit was in force: claude from the start.
    expect(await readRunRecord(paths, 2)).toMatchObject({
      agent: "claude",
      fallback_from: "codex",
      attempts: 1,
    });
    const limit = (await readState(paths)).agent_limits?.codex;
    expect(limit?.message).toBe("usage limit reached");
    const until = Date.parse(limit?.until ?? "");
    // Never before the reset the agent gave (whole seconds, rounded up).
    expect(until).toBeGreaterThanOrEqual(Date.parse(r1?.started_at ?? "") + 1_500);
    expect((await getStatus(repo.root)).agents).toMatchObject({
      next: "claude",
      limits: [{ agent: "codex" }],
    });

    const log = await readText(paths.log);
    expect(log).toMatch(
      /\[car\] codex: usage limit until \S+ \(usage limit reached\); run 1 goes on with claude/,
    );
    expect(log).toMatch(/\[car\] codex sits out a usage limit until \S+: run 2 goes to claude/);

    // After the reset (kept in state.json across invocations) the primary runs again.
    await waitFor(() => Date.now() > until, "codex's reset time", 10_000);
    expect((await getStatus(repo.root)).agents).toEqual({
      primary: "codex",
      fallback: "claude",
      next: "codex",
      limits: [],
    });
    await runLoop({ root: repo.root, env: agentEnv(repo), backend, stopAfterRuns: 1 });
    expect(await readRunRecord(paths, 3)).toMatchObject({ agent: "codex", fallback_from: null, attempts: 1 });
  });

  it("with both limited the run waits for the limit that ends first, then goes on with that agent", async () => {
    const { repo, paths } = await setup("  agent: codex\n  fallback_agent: claude\n  stop_after_runs: 1");
    const codex = rateLimitedBackend(1, 2_000);
    const claude = rateLimitedBackend(1, 60_000);
    const backend = (agent: AgentName) => (agent === "codex" ? codex : claude);
    expect(await runLoop({ root: repo.root, env: agentEnv(repo), backend })).toMatchObject({ runs: 1 });
    // codex limited → claude at once, limited too → wait for codex's earlier reset → codex completes.
    const r1 = await readRunRecord(paths, 1);
    expect(r1).toMatchObject({ agent: "codex", fallback_from: null, attempts: 3, outcome: "completed" });
    expect(r1?.limit_wait_ms).toBeGreaterThan(0);
    const log = await readText(paths.log);
    expect(log).toMatch(
      /\[car\] claude: usage limit until \S+ \(usage limit reached\); run 1 goes on with codex once its own limit ends at /,
    );
    expect((await readState(paths)).agent_limits?.claude?.message).toBe("usage limit reached");
  });

  it("a stop during that wait leaves the record naming the agent that last ran", async () => {
    const { repo, paths } = await setup("  agent: codex\n  fallback_agent: claude");
    const codex = rateLimitedBackend(1, 3_600_000);
    const claude = rateLimitedBackend(1, 7_200_000);
    const running = runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: (agent) => (agent === "codex" ? codex : claude),
    });
    await waitFor(async () => (await readState(paths)).status === "waiting", "status waiting");
    const { promises: fsp } = await import("node:fs");
    await fsp.writeFile(paths.stop, "");
    expect(await running).toMatchObject({ reason: "stop_requested", runs: 1 });
    // The wait was for codex, which never ran again: the record stays with claude's attempt.
    expect(await readRunRecord(paths, 1)).toMatchObject({
      agent: "claude",
      fallback_from: "codex",
      attempts: 2,
      outcome: "interrupted",
    });
  });

  it("a run starting while both agents are limited waits for the earlier reset before calling anyone", async () => {
    const { repo, paths } = await setup("  agent: codex\n  fallback_agent: claude\n  stop_after_runs: 1");
    const at = (ms: number) =>
      `${new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    const codexUntil = at(1_500);
    await writeState(paths, {
      ...(await readState(paths)),
      agent_limits: {
        codex: { until: codexUntil, message: "codex limit" },
        claude: { until: at(3_600_000), message: "claude limit" },
      },
    });
    const used: AgentName[] = [];
    const backend = (agent: AgentName) => {
      used.push(agent);
      return plainBackend;
    };
    expect(await runLoop({ root: repo.root, env: agentEnv(repo), backend })).toMatchObject({ runs: 1 });
    const r1 = await readRunRecord(paths, 1);
    // One call, to codex, after its reset: no attempt spent on a refusal.
    expect(r1).toMatchObject({ agent: "codex", fallback_from: null, attempts: 1, outcome: "completed" });
    expect(Date.parse(r1?.finished_at ?? "")).toBeGreaterThanOrEqual(Date.parse(codexUntil));
    expect(r1?.limit_wait_ms).toBeGreaterThan(0);
    expect(existsSync(join(repo.side, "prompt-2.txt"))).toBe(false);
    // codex just ran fine: its limit is gone; claude's stays.
    const limits = (await readState(paths)).agent_limits;
    expect(limits?.codex).toBeUndefined();
    expect(limits?.claude?.message).toBe("claude limit");
  });

  it("a reset beyond the wait budget is checked again after the budget", async () => {
    const { repo, paths } = await setup(
      "  agent: codex\n  fallback_agent: claude\n  stop_after_runs: 1\n  max_limit_wait_seconds: 60",
    );
    const codex = rateLimitedBackend(1, 7 * 24 * 3_600_000); // a weekly limit
    const started = Date.now();
    await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: (agent) => (agent === "codex" ? codex : plainBackend),
    });
    expect(await readRunRecord(paths, 1)).toMatchObject({ agent: "claude", fallback_from: "codex" });
    const until = Date.parse((await readState(paths)).agent_limits?.codex?.until ?? "");
    expect(until - started).toBeGreaterThanOrEqual(59_000);
    expect(until - Date.now()).toBeLessThanOrEqual(61_000);
  });

  it("without a fallback the limited primary waits as before and the record names it", async () => {
    const { repo, paths } = await setup("  agent: codex\n  stop_after_runs: 1");
    const codex = rateLimitedBackend(1, 300);
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: (agent) => (agent === "codex" ? codex : plainBackend),
    });
    expect(result).toMatchObject({ reason: "run_limit", runs: 1 });
    const r1 = await readRunRecord(paths, 1);
    expect(r1).toMatchObject({ agent: "codex", fallback_from: null, attempts: 2, outcome: "completed" });
    expect(r1?.limit_wait_ms).toBeGreaterThan(0);
    expect((await readState(paths)).agent_limits ?? null).toBeNull();
  });

  it("runner.agent: claude runs claude's section", async () => {
    const { repo, paths } = await setup("  agent: claude\n  stop_after_runs: 1");
    const used: AgentName[] = [];
    await runLoop({
      root: repo.root,
      env: agentEnv(repo),
      backend: (agent) => {
        used.push(agent);
        return plainBackend;
      },
    });
    expect(await readRunRecord(paths, 1)).toMatchObject({ agent: "claude", fallback_from: null });
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((a) => a === "claude")).toBe(true);
  });
});
