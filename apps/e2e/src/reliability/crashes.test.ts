import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnCar, waitFor } from "@codex-autorunner/testkit";
import { describe, expect } from "vitest";
import { assertRecovers, carUnderStrace, lockHolder } from "../reliability-helpers/crash.js";
import { json, request, startCarServe } from "../reliability-helpers/http.js";
import { blockedOnFifo, isLive, killTree, signalQuietly } from "../reliability-helpers/proc.js";
import { scenario } from "../reliability-helpers/record.js";
import { agentPids, endMarker, makeRepo, readLog, startMarkers } from "../reliability-helpers/repo.js";

const G = "Crashes (kill -9)";

function hasLine(repo: ReturnType<typeof makeRepo>, run: number, text: string): boolean {
  return (readLog(repo).lines.get(run) ?? []).some((l) => l.text.includes(text));
}

describe(G, () => {
  scenario(
    G,
    "kill -9 of the runner before the start marker (blocked reading the prompt template)",
    "prompt.txt is a FIFO nobody writes: the runner blocks building the first prompt; kill -9 it there",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      execFileSync("mkfifo", [repo.file("template")]);
      const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
        cwd: repo.root,
        env: repo.env("silent"),
      });
      ctx.defer(() => killTree(car.pid));
      // Deterministic: the kernel reports the thread asleep in the FIFO's open (wchan wait_for_partner).
      await waitFor(() => blockedOnFifo(car.pid) || !isLive(car.pid), {
        timeoutMs: 30_000,
        what: "runner blocked on the FIFO",
      });
      expect(isLive(car.pid), `runner still blocked (stderr: ${car.stderr().slice(0, 300)})`).toBe(true);
      const log = readLog(repo);
      expect(startMarkers(log), "no run started yet").toEqual([]);
      ctx.note(
        `at the kill: lock ${existsSync(repo.file("lock")) ? "held" : "not yet taken"}, state ${existsSync(repo.file("state")) ? JSON.parse(readFileSync(repo.file("state"), "utf8")).status : "absent"}`,
      );
      signalQuietly(car.pid, "SIGKILL");
      await car.exited;
      unlinkSync(repo.file("template"));
      await assertRecovers(repo, ctx, { crashedRun: null });
    },
  );

  scenario(
    G,
    "kill -9 of the runner between runs (sleeping before run 2's start marker)",
    "sleep_seconds 600; wait for run 1's end marker and idle state, kill -9 during the sleep",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { sleep_seconds: 600 } } });
      ctx.defer(() => repo.cleanup());
      const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
        cwd: repo.root,
        env: repo.env("silent"),
      });
      ctx.defer(() => killTree(car.pid));
      await waitFor(
        () =>
          endMarker(readLog(repo), 1) &&
          JSON.parse(readFileSync(repo.file("state"), "utf8")).status === "idle",
        {
          timeoutMs: 30_000,
          what: "run 1 finished and state idle",
        },
      ).catch((e: Error) => {
        const log = existsSync(repo.file("log"))
          ? readFileSync(repo.file("log"), "utf8").slice(-400)
          : "(no log)";
        const st = existsSync(repo.file("state")) ? readFileSync(repo.file("state"), "utf8") : "(no state)";
        throw new Error(`${e.message}; log: ${log}; state: ${st}; car stderr: ${car.stderr().slice(0, 400)}`);
      });
      expect(startMarkers(readLog(repo))).toEqual([1]);
      signalQuietly(car.pid, "SIGKILL");
      await car.exited;
      await assertRecovers(repo, ctx, { crashedRun: null });
    },
  );

  scenario(
    G,
    "kill -9 of the runner mid-output",
    "gate agent prints a line every 200 ms; kill -9 the runner once 2 of them are in the log",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
        cwd: repo.root,
        env: repo.env("gate"),
      });
      ctx.defer(() => killTree(car.pid));
      await waitFor(() => hasLine(repo, 1, "waiting 2"), {
        timeoutMs: 30_000,
        what: "agent output in the log",
      });
      signalQuietly(car.pid, "SIGKILL");
      await car.exited;
      // The agent runs in its own process group, so it outlives the runner. Recovery must end it, or
      // it would keep editing the repo beside the resumed run's agent.
      const orphans = agentPids(repo).filter(isLive);
      for (const pid of orphans) ctx.defer(() => killTree(pid));
      expect(orphans.length, "agent orphaned by the crash").toBe(1);
      await assertRecovers(repo, ctx, { crashedRun: 1 });
      await waitFor(() => !isLive(orphans[0]!), {
        timeoutMs: 15_000,
        what: "orphaned agent ended by recovery",
      });
      ctx.note("orphaned agent ended by recovery");
    },
  );

  scenario(
    G,
    "kill -9 of the runner between the end marker and the state write",
    "runner under strace with every rename(2) delayed 2 s; kill -9 once run 1's end marker is in the log while state.json still says running",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      writeFileSync(join(repo.side, "release"), "");
      const traced = carUnderStrace(["run", "--quiet", "--repo", repo.root], {
        cwd: repo.root,
        env: repo.env("gate"),
        delayMs: 2000,
      });
      ctx.defer(() => traced.kill());
      const runner = await lockHolder(repo).catch((e: Error) => {
        throw new Error(`${e.message}; strace said: ${traced.stderr().slice(0, 300)}`);
      });
      await waitFor(() => endMarker(readLog(repo), 1), { timeoutMs: 60_000, what: "run 1 end marker" });
      const state = JSON.parse(readFileSync(repo.file("state"), "utf8")) as Record<string, unknown>;
      signalQuietly(runner, "SIGKILL");
      expect(state.status, "state.json not yet written after the end marker (the window was hit)").toBe(
        "running",
      );
      await traced.exited;
      ctx.note("killed with end marker written, state.json still running");
      await assertRecovers(repo, ctx, { crashedRun: null });
      // The run had ended: recovery must not add an "interrupted" marker to a closed run.
      const ends = readLog(repo).markers.filter((m) => m.kind === "end" && m.run === 1);
      expect(ends.length).toBe(1);
    },
  );

  scenario(
    G,
    "kill -9 of the runner during a git commit",
    "auto_commit on; a prepare-commit-msg hook (runs despite --no-verify) signals and blocks; kill -9 the runner inside it, then let git finish",
    async (ctx) => {
      const repo = makeRepo({
        agent: "stand-in",
        config: { git: { auto_commit: true }, runner: { stop_after_runs: 1 } },
      });
      ctx.defer(() => repo.cleanup());
      const hook = join(repo.root, ".git", "hooks", "prepare-commit-msg");
      const inCommit = join(repo.side, "in-commit");
      const release = join(repo.side, "release-commit");
      writeFileSync(
        hook,
        `#!/bin/sh\ntouch '${inCommit}'\nwhile [ ! -f '${release}' ]; do sleep 0.05; done\nexit 0\n`,
      );
      chmodSync(hook, 0o755);
      const car = spawnCar(["run", "--quiet", "--repo", repo.root], { cwd: repo.root, env: repo.env() });
      ctx.defer(() => killTree(car.pid));
      await waitFor(() => existsSync(inCommit), {
        timeoutMs: 30_000,
        what: "git commit in progress (hook reached)",
      });
      signalQuietly(car.pid, "SIGKILL");
      await car.exited;
      writeFileSync(release, "");
      // git (orphaned) completes the commit; wait for the index lock to go.
      await waitFor(() => !existsSync(join(repo.root, ".git", "index.lock")), {
        timeoutMs: 30_000,
        what: "git finished",
      });
      unlinkSync(hook);
      await assertRecovers(repo, ctx, { crashedRun: null });
      const todo = readFileSync(repo.file("todo"), "utf8");
      expect(todo.match(/- \[x\]/g)?.length, "run 1 and the resumed run each ticked one item").toBe(2);
    },
  );

  scenario(
    G,
    "kill -9 of the runner at 5 pseudo-random points of a multi-run loop",
    "stand-in agent (1 s of heartbeats per run, 20 items, auto-commit); kill -9 the runner 0.1–2 s (seeded) after it took the lock; recover; repeat",
    async (ctx) => {
      const repo = makeRepo({
        agent: "stand-in",
        todo: Array.from({ length: 20 }, (_, i) => `item ${i + 1}`),
        config: { git: { auto_commit: true } },
      });
      ctx.defer(() => repo.cleanup());
      let seed = 20261125;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const hits: string[] = [];
      for (let i = 0; i < 5; i++) {
        const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
          cwd: repo.root,
          env: { STAND_IN_MODE: "sleep", STAND_IN_SLEEP_MS: "1000" },
        });
        ctx.defer(() => killTree(car.pid));
        await lockHolder(repo);
        const delay = 100 + Math.floor(rand() * 1900);
        await new Promise((r) => setTimeout(r, delay));
        signalQuietly(car.pid, "SIGKILL");
        await car.exited;
        const log = readLog(repo);
        const last = Math.max(0, ...startMarkers(log));
        const open = last > 0 && !endMarker(log, last) ? last : null;
        hits.push(`${delay} ms: ${open ? `run ${open} open` : "between runs"}`);
        await assertRecovers(repo, ctx, { crashedRun: open });
      }
      const done = (readFileSync(repo.file("todo"), "utf8").match(/- \[x\]/g) ?? []).length;
      expect(done, "TODO items ticked never exceed the runs made").toBeLessThanOrEqual(
        Math.max(...startMarkers(readLog(repo))),
      );
      ctx.note(hits.join("; "));
    },
    180_000,
  );

  scenario(
    G,
    "kill -9 of the server mid-run: the run goes on, a new server reports it",
    "POST /api/run/start with a gate agent; kill -9 `car serve`; start a new server; release the agent",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      const env = repo.env("gate");
      const s1 = await startCarServe(repo, { env });
      ctx.defer(() => s1.stop());
      const start = await request(s1.port, "/api/run/start", {
        method: "POST",
        body: JSON.stringify({ once: true }),
        headers: { "content-type": "application/json" },
      });
      expect(start.status, start.text).toBe(202);
      const runner = await lockHolder(repo);
      ctx.defer(() => killTree(runner));
      await waitFor(() => hasLine(repo, 1, "gate agent"), { timeoutMs: 30_000, what: "run 1 output" });
      signalQuietly(s1.pid, "SIGKILL");
      await s1.proc.exited;
      expect(isLive(runner), "runner survives the server's death").toBe(true);
      const s2 = await startCarServe(repo, { env });
      ctx.defer(() => s2.stop());
      const st = json(await request(s2.port, "/api/state"));
      expect(st.running, JSON.stringify(st)).toBe(true);
      expect(st.runner_pid).toBe(runner);
      writeFileSync(join(repo.side, "release"), "");
      await waitFor(async () => json(await request(s2.port, "/api/state")).running === false, {
        timeoutMs: 30_000,
        what: "run finished",
      });
      const end = json(await request(s2.port, "/api/state"));
      expect(end.last_run_id).toBe(1);
      expect(end.last_exit_code).toBe(0);
      expect(endMarker(readLog(repo), 1)?.code).toBe(0);
      ctx.note("runner outlived the server; the new server reported running, then run 1 code 0");
    },
  );
});
