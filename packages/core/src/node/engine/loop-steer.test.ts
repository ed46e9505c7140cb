import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../types.js";
import { readRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { listSteer } from "../steer/queue.js";
import { queueSteer } from "../steer/repo.js";
import { runLoop } from "./loop.js";
import { agentEnv, readText, useTestRepos, waitFor } from "./test-fixtures.js";

// Steering a running loop and the agent's NEEDS_INPUT question, with the stand-in agent (real child
// processes, a real git repo). The real Codex CLI versions are in apps/e2e/src/overnight/.

const setup = useTestRepos();

describe("steering", () => {
  it("delivers each message to exactly one run, oldest first, and records where", async () => {
    const { repo, paths } = await setup();
    const first = await queueSteer(paths, "use tabs");
    const second = await queueSteer(paths, "and write tests first");
    const result = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(result).toMatchObject({ reason: "todo_done", runs: 3 });

    const p1 = await readText(join(repo.side, "prompt-1.txt"));
    expect(p1).toContain("</STEERING>");
    expect(p1.indexOf("use tabs")).toBeLessThan(p1.indexOf("and write tests first"));
    expect(await readText(join(repo.side, "prompt-2.txt"))).not.toContain("</STEERING>");
    expect((await readRunRecord(paths, 1))?.steering).toEqual([first.id, second.id]);
    expect((await readRunRecord(paths, 2))?.steering).toEqual([]);
    const { messages } = await listSteer(paths.steerDir);
    expect(messages.map((m) => [m.id, m.state, m.run_id])).toEqual([
      [first.id, "delivered", 1],
      [second.id, "delivered", 1],
    ]);
    // Queued messages never reach git: the folder is ignored.
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: repo.root,
      encoding: "utf8",
    });
    expect(status).not.toContain("steer/");
  });

  it("gives a failed run's messages to the next run, and to no other", async () => {
    const { repo, paths } = await setup({ runner: "  max_retries: 0" });
    const msg = await queueSteer(paths, "try the other approach");
    const failed = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "fail" }) });
    expect(failed.reason).toBe("agent_failed");
    expect(await readText(join(repo.side, "prompt-1.txt"))).toContain("try the other approach");
    expect((await listSteer(paths.steerDir)).messages[0]).toMatchObject({ state: "pending", run_id: null });

    await runLoop({ root: repo.root, env: agentEnv(repo), stopAfterRuns: 2 });
    expect(await readText(join(repo.side, "prompt-2.txt"))).toContain("try the other approach");
    expect(await readText(join(repo.side, "prompt-3.txt"))).not.toContain("try the other approach");
    expect((await readRunRecord(paths, 2))?.steering).toEqual([msg.id]);
  });

  it("a runner that died mid-run does not lose its claimed messages", async () => {
    const { repo, paths } = await setup();
    await queueSteer(paths, "remember me");
    const ac = new AbortController();
    const running = runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "hang" }),
      signal: ac.signal,
    });
    await waitFor(() => existsSync(join(repo.side, "prompt-1.txt")), "the agent to start");
    expect((await listSteer(paths.steerDir)).messages[0]).toMatchObject({ state: "delivering", run_id: 1 });
    ac.abort("SIGTERM");
    await running;
    await runLoop({ root: repo.root, env: agentEnv(repo), stopAfterRuns: 1 });
    expect(await readText(join(repo.side, "prompt-2.txt"))).toContain("remember me");
    expect((await listSteer(paths.steerDir)).messages[0]).toMatchObject({ state: "delivered", run_id: 2 });
  });
});

describe("needs input", () => {
  it("pauses with the question until a steering message answers it; the next run gets the answer", async () => {
    const { repo, paths } = await setup({ todo: "- [ ] pick a database\n" });
    const events: EngineEvent[] = [];
    const running = runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "ask-once", AGENT_ASK: "Postgres or SQLite?" }),
      onEvent: (e) => events.push(e),
    });
    await waitFor(async () => (await readState(paths)).status === "waiting_input", "status waiting_input");
    const state = await readState(paths);
    expect(state.waiting).toMatchObject({ reason: "needs_input", message: "Postgres or SQLite?" });
    expect((await readRunRecord(paths, 1))?.needs_input).toBe("Postgres or SQLite?");
    // No new run while it waits.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(repo.side, "prompt-2.txt"))).toBe(false);

    await queueSteer(paths, "SQLite, keep it simple");
    const result = await running;
    expect(result).toMatchObject({ reason: "todo_done", runs: 2 });
    const p2 = await readText(join(repo.side, "prompt-2.txt"));
    expect(p2).toMatch(/<STEERING>[\s\S]*SQLite, keep it simple[\s\S]*<\/STEERING>/);
    expect(events.some((e) => e.type === "waiting" && e.waiting.reason === "needs_input")).toBe(true);
    expect(events.some((e) => e.type === "resumed" && e.reason === "needs_input")).toBe(true);
    expect(await readText(paths.log)).toContain("run 1 asks: Postgres or SQLite?");
    expect((await readState(paths)).waiting ?? null).toBeNull();
  });

  it("a question in the last run a limit allows ends the loop with needs_input, not run_limit", async () => {
    const { repo, paths } = await setup();
    const env = agentEnv(repo, { AGENT_MODE: "ask-once", AGENT_ASK: "Tabs or spaces?" });
    const result = await runLoop({ root: repo.root, env, once: true });
    expect(result).toMatchObject({ reason: "needs_input", detail: "the agent asks: Tabs or spaces?" });
    expect(await readText(paths.log)).toContain("run 1 asks: Tabs or spaces?");
  });

  it("stops with reason needs_input when no answer comes in time, and on `car stop` at once", async () => {
    const { repo, paths } = await setup({ runner: "  input_wait_seconds: 0.5" });
    const env = agentEnv(repo, { AGENT_MODE: "ask-once", AGENT_ASK: "Which one?" });
    const result = await runLoop({ root: repo.root, env });
    expect(result).toMatchObject({ reason: "needs_input", runs: 1 });
    expect(result.detail).toContain("Which one?");
    expect(await readState(paths)).toMatchObject({ status: "error", waiting: null });

    const { repo: r2, paths: p2 } = await setup({ runner: "  input_wait_seconds: 600" });
    const running = runLoop({ root: r2.root, env: agentEnv(r2, { AGENT_MODE: "ask-once", AGENT_ASK: "?" }) });
    await waitFor(async () => (await readState(p2)).status === "waiting_input", "status waiting_input");
    await import("node:fs/promises").then((f) => f.writeFile(p2.stop, ""));
    expect(await running).toMatchObject({ reason: "stop_requested" });
  });
});

describe("a quiet run", () => {
  it("state.json says since when the run has been silent, and clears it when the run ends", async () => {
    const { repo, paths } = await setup({ runner: "  idle_timeout_seconds: 1.5\n  max_retries: 0" });
    const quiet: Array<unknown> = [];
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "hang" }),
      onEvent: (e) => {
        if (e.type === "state" && e.state.quiet) quiet.push(e.state.quiet);
      },
    });
    expect(result.reason).toBe("agent_failed");
    expect(quiet[0]).toMatchObject({ run_id: 1, last_command: null });
    expect(Date.parse((quiet[0] as { since: string }).since)).not.toBeNaN();
    expect((await readState(paths)).quiet ?? null).toBeNull();
  });
});
