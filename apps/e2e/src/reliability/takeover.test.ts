import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { findLifelines, startDetachedRunner } from "@codex-autorunner/core/node";
import { type SpawnedCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { describe, expect } from "vitest";
import { isLive, killTree } from "../reliability-helpers/proc.js";
import { type ScenarioContext, scenario } from "../reliability-helpers/record.js";
import {
  makeRepo,
  type ParsedLog,
  type Repo,
  readJson,
  readLog,
  startMarkers,
} from "../reliability-helpers/repo.js";

const G = "Takeover and kill";

/** `car <args>` in the background (the test acts on it while it runs). */
function start(repo: Repo, args: string[], env: Record<string, string>): SpawnedCar {
  return spawnCar([...args, "--repo", repo.root], { cwd: repo.root, env, timeoutMs: 90_000 });
}

/** The hostile agent's `ready` file: written once the run's agent is up, holds its PID. */
async function agentReady(repo: Repo): Promise<number> {
  const file = join(repo.side, "ready");
  return waitFor(() => (existsSync(file) ? Number(readFileSync(file, "utf8")) : 0), {
    timeoutMs: 30_000,
    what: "the agent of run 1 to be up",
  });
}

/**
 * A repo with `car run` going in the background and its (hostile) agent up: both are ended, and the
 * repo removed, when the scenario ends.
 */
async function runWithAgent(
  ctx: ScenarioContext,
  agentKind: string,
): Promise<{ repo: Repo; old: SpawnedCar; agent: number }> {
  const repo = makeRepo();
  ctx.defer(() => repo.cleanup());
  const old = start(repo, ["run"], repo.env(agentKind));
  ctx.defer(() => killTree(old.pid));
  const agent = await agentReady(repo);
  ctx.defer(() => killTree(agent));
  return { repo, old, agent };
}

/**
 * Every run has exactly one start and one end marker, blocks never overlap (start k, end k, then
 * start k+1), run ids increase, and no agent line is outside its run's block.
 */
function expectWellNested(log: ParsedLog): void {
  const order = log.markers.map((m) => `${m.kind} ${m.run}`);
  const expected = startMarkers(log).flatMap((run) => [`start ${run}`, `end ${run}`]);
  expect(order, "markers: one start and one end per run, never interleaved").toEqual(expected);
  const runs = startMarkers(log);
  expect(runs, "run ids increase").toEqual([...runs].sort((a, b) => a - b));
  expect(new Set(runs).size).toBe(runs.length);
  expect(log.outside, "agent lines outside their run's block").toEqual([]);
  expect(log.malformed).toEqual([]);
}

describe(G, () => {
  scenario(
    G,
    "--force during a run ends the old runner and its agent, then runs; one end marker per run",
    "`car run` (agent holding run 1 open), then `car run --force --max-runs 1`",
    async (ctx) => {
      const { repo, old, agent } = await runWithAgent(ctx, "gate");

      const taker = start(repo, ["run", "--force", "--max-runs", "1"], repo.env("silent"));
      ctx.defer(() => killTree(taker.pid));
      const done = await taker.exited;
      expect(done.code, done.stderr).toBe(0);
      const gone = await old.exited;
      expect(gone.code, "the old runner was ended by SIGTERM").toBe(143);
      expect(isLive(old.pid)).toBe(false);
      expect(isLive(agent), "the old run's agent").toBe(false);

      const log = readLog(repo);
      expectWellNested(log);
      expect(startMarkers(log)).toEqual([1, 2]);
      expect(log.markers.find((m) => m.kind === "end" && m.run === 1)?.code).toBe(143);
      expect(log.markers.find((m) => m.kind === "end" && m.run === 2)?.code).toBe(0);
      expect(readJson(repo.file("state"))).toMatchObject({
        status: "idle",
        runner_pid: null,
        last_run_id: 2,
      });
      ctx.note("old runner exited 143 after closing run 1 (code 143); run 2 ran under the new runner");
    },
  );

  scenario(
    G,
    "--force during a run whose agent ignores SIGTERM: still exactly one end marker for that run",
    "`car run` with an agent ignoring SIGTERM (grace 1 s), then `car run --force --max-runs 1`",
    async (ctx) => {
      const { repo, old, agent } = await runWithAgent(ctx, "ignore-term");

      const taker = start(repo, ["run", "--force", "--max-runs", "1"], repo.env("silent"));
      ctx.defer(() => killTree(taker.pid));
      const done = await taker.exited;
      expect(done.code, done.stderr).toBe(0);
      await old.exited;
      expect(isLive(old.pid)).toBe(false);
      expect(isLive(agent)).toBe(false);
      const log = readLog(repo);
      expectWellNested(log);
      expect(startMarkers(log)).toEqual([1, 2]);
      const end1 = log.markers.find((m) => m.kind === "end" && m.run === 1)?.code;
      ctx.note(
        `run 1 closed once, as ${end1 === "interrupted" ? "interrupted (by the new runner)" : `code ${end1}`}`,
      );
    },
  );

  scenario(
    G,
    "--force during the sleep between runs ends the sleeping runner; run ids continue",
    "`car run` with sleep_seconds 30 after run 1, then `car run --force --max-runs 1`",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { sleep_seconds: 30 } } });
      ctx.defer(() => repo.cleanup());
      const old = start(repo, ["run"], repo.env("silent"));
      ctx.defer(() => killTree(old.pid));
      await waitFor(() => readLog(repo).markers.some((m) => m.kind === "end" && m.run === 1), {
        timeoutMs: 30_000,
        what: "run 1 to end (the old runner then sleeps)",
      });
      await waitFor(() => readJson(repo.file("state")).status === "idle", { what: "state idle" });
      expect(isLive(old.pid)).toBe(true);

      const startedAt = Date.now();
      const taker = start(repo, ["run", "--force", "--max-runs", "1"], repo.env("silent"));
      ctx.defer(() => killTree(taker.pid));
      const done = await taker.exited;
      expect(done.code, done.stderr).toBe(0);
      expect((await old.exited).code).toBe(143);
      const log = readLog(repo);
      expectWellNested(log);
      expect(startMarkers(log)).toEqual([1, 2]);
      expect(log.markers.filter((m) => m.kind === "end").map((m) => m.code)).toEqual([0, 0]);
      ctx.metric("takeover_ms", Date.now() - startedAt);
      ctx.note("the sleeping runner exited 143 without a run open; run 2 followed run 1");
    },
  );

  scenario(
    G,
    "a runner whose lock was taken stops without writing; the new holder closes its run once",
    "while run 1 runs, the lock file is replaced by one naming another live process (as a takeover from another host would)",
    async (ctx) => {
      const { repo, old, agent } = await runWithAgent(ctx, "gate");
      await waitFor(() => readJson(repo.file("state")).agent_pid === agent, {
        what: "state to name the agent",
      });
      const stateBefore = readFileSync(repo.file("state"), "utf8");

      const other = spawnCar(["--version"], { timeoutMs: 5_000 }); // any live process of ours
      writeFileSync(
        repo.file("lock"),
        `${JSON.stringify({ pid: other.pid, host: `${hostname()}-elsewhere`, started_at: null, token: "x" })}\n`,
      );
      const gone = await old.exited;
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/took over/);
      expect(isLive(agent), "the old runner ended its own agent").toBe(false);
      expect(readFileSync(repo.file("state"), "utf8"), "state untouched").toBe(stateBefore);
      expect(
        readLog(repo).markers.filter((m) => m.kind === "end"),
        "no end marker from the loser",
      ).toEqual([]);
      expect(readJson<{ pid: number }>(repo.file("lock")).pid, "the new holder's lock kept").toBe(other.pid);

      // The "new holder" goes away; the next runner's recovery closes run 1, once.
      await other.exited;
      writeFileSync(repo.file("lock"), `${other.pid}\n`);
      const next = await repo.car(["once"], { env: repo.env("silent") });
      expect(next.code, next.stderr).toBe(0);
      const log = readLog(repo);
      expectWellNested(log);
      expect(log.markers.find((m) => m.kind === "end" && m.run === 1)?.code).toBe("interrupted");
      ctx.note(
        "loser exited 1 (LOCK_HELD) leaving log and state alone; recovery closed run 1 as interrupted",
      );
    },
  );

  scenario(
    G,
    "--force while the old runner is frozen: it is SIGKILLed and the new runner closes its run as interrupted",
    "`car run` (agent holding run 1 open), the runner SIGSTOPped, then `car run --force --max-runs 1`",
    async (ctx) => {
      const { repo, old, agent } = await runWithAgent(ctx, "gate");
      process.kill(old.pid, "SIGSTOP"); // cannot handle SIGTERM, cannot write anything

      const taker = start(repo, ["run", "--force", "--max-runs", "1"], repo.env("silent"));
      ctx.defer(() => killTree(taker.pid));
      const done = await taker.exited;
      expect(done.code, done.stderr).toBe(0);
      expect((await old.exited).signal).toBe("SIGKILL");
      expect(isLive(agent)).toBe(false);
      const log = readLog(repo);
      expectWellNested(log);
      expect(log.markers.map((m) => `${m.kind} ${m.run} ${m.code ?? ""}`.trim())).toEqual([
        "start 1",
        "end 1 interrupted",
        "start 2",
        "end 2 0",
      ]);
      ctx.note("frozen runner SIGKILLed after the grace; recovery wrote run 1's only end marker");
    },
  );

  scenario(
    G,
    "an agent outliving its runner (lifeline gone too) shows in `car status` until `car kill` ends it",
    "`car run` with an agent that ignores SIGTERM and never writes; its lifeline watcher and the runner are SIGKILLed",
    async (ctx) => {
      const { repo, old: car, agent } = await runWithAgent(ctx, "ignore-term");
      await waitFor(() => readJson(repo.file("state")).agent_pid === agent, {
        what: "state to name the agent",
      });
      const marker = readJson<{ agent_marker: string }>(repo.file("state")).agent_marker;
      const watchers = findLifelines(marker);
      expect(watchers).toHaveLength(1);
      for (const pid of [...watchers, car.pid]) process.kill(pid, "SIGKILL");
      await car.exited;

      const human = await repo.car(["status"]);
      expect(human.stdout).toMatch(
        /^agent: +orphaned: 1 process\(es\) of the run still alive \(agent pid \d+\)/m,
      );
      const json = JSON.parse((await repo.car(["status", "--json"])).stdout);
      expect(json).toMatchObject({
        running: false,
        stale: true,
        orphaned_agent: { pid: agent, processes: 1 },
      });

      const k = await repo.car(["kill", "--grace", "1"]);
      expect(k.code, k.stderr).toBe(0);
      expect(isLive(agent)).toBe(false);
      const after = JSON.parse((await repo.car(["status", "--json"])).stdout);
      expect(after).toMatchObject({ orphaned_agent: null, stale: false, status: "error" });
      ctx.note("status named the orphaned agent; car kill ended it and closed run 1");
    },
  );

  scenario(
    G,
    "`car kill` records the same reason for a terminal `car run` and a detached runner",
    "`car kill` of `car run` in a terminal, then of the detached runner the server starts",
    async (ctx) => {
      const outcomes: Array<Record<string, unknown>> = [];
      for (const how of ["terminal", "detached"] as const) {
        const repo = makeRepo();
        ctx.defer(() => repo.cleanup());
        let pid: number;
        if (how === "terminal") {
          pid = start(repo, ["run"], repo.env("gate")).pid;
        } else {
          // startDetachedRunner passes this process's environment on to the runner.
          const saved = { ...process.env };
          Object.assign(process.env, repo.env("gate"));
          try {
            pid = (await startDetachedRunner(repo.root)).pid;
          } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
          }
        }
        ctx.defer(() => killTree(pid));
        await agentReady(repo);
        const k = await repo.car(["kill", "--grace", "1"]);
        expect(k.code, k.stderr).toBe(0);
        await waitFor(() => !isLive(pid), { what: `the ${how} runner to exit` });
        const state = readJson(repo.file("state"));
        const record = readJson(join(repo.dir, "runs", "1.json"));
        outcomes.push({
          reason: state.reason,
          status: state.status,
          exit: state.last_exit_code,
          outcome: record.outcome,
          error: record.error,
          end: readLog(repo).markers.find((m) => m.kind === "end" && m.run === 1)?.code,
        });
      }
      expect(outcomes[0]).toMatchObject({ reason: "killed by SIGTERM", status: "error", outcome: "killed" });
      expect(outcomes[1], "detached runner records what the terminal one does").toEqual(outcomes[0]);
      ctx.note(`both: ${JSON.stringify(outcomes[0])}`);
    },
  );
});
