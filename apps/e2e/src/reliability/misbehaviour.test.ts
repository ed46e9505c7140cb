import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnCar, waitFor } from "@codex-autorunner/testkit";
import { describe, expect } from "vitest";
import { assertWellFormed } from "../reliability-helpers/crash.js";
import { groupMembers, isLive, killTree, signalQuietly } from "../reliability-helpers/proc.js";
import { type ScenarioContext, scenario } from "../reliability-helpers/record.js";
import {
  agentPids,
  endMarker,
  hasStackTrace,
  makeRepo,
  readJson,
  readLog,
  reportsRunning,
  statusJson,
} from "../reliability-helpers/repo.js";

const G = "Agent misbehaviour";

/** `car run` with an agent that traps SIGTERM/SIGINT, once the agent says it is ready (its PID). */
async function startSigtermIgnoringRun(ctx: ScenarioContext) {
  const repo = makeRepo();
  ctx.defer(() => repo.cleanup());
  const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
    cwd: repo.root,
    env: repo.env("ignore-term"),
  });
  ctx.defer(() => killTree(car.pid));
  const ready = join(repo.side, "ready");
  const agent = await waitFor(() => (existsSync(ready) ? Number(readFileSync(ready, "utf8")) : 0), {
    what: "agent ready",
  });
  ctx.defer(() => killTree(agent));
  return { repo, car, agent };
}

describe(G, () => {
  scenario(
    G,
    "agent exits 0 without any output",
    "agent reads the prompt and exits 0 silently",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const r = await repo.car(["once", "--quiet"], { env: repo.env("silent") });
      expect(r.code, r.stderr).toBe(0);
      const log = readLog(repo);
      assertWellFormed(log);
      expect(endMarker(log, 1)?.code).toBe(0);
      expect((log.lines.get(1) ?? []).filter((l) => !l.text.startsWith("[car] "))).toEqual([]);
      expect(readJson(repo.file("state"))).toMatchObject({
        status: "idle",
        last_run_id: 1,
        last_exit_code: 0,
      });
      ctx.note("empty run block, end marker code 0, state idle");
    },
  );

  scenario(
    G,
    "agent exits 3 without any output",
    "agent reads the prompt and exits 3 silently",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const r = await repo.car(["run", "--quiet"], { env: repo.env("silent", { HOSTILE_EXIT: "3" }) });
      expect(r.code, r.stderr).toBe(1);
      expect(endMarker(readLog(repo), 1)?.code).toBe(3);
      expect(readJson(repo.file("state"))).toMatchObject({
        status: "error",
        last_run_id: 1,
        last_exit_code: 3,
      });
      expect(existsSync(repo.file("lock"))).toBe(false);
      ctx.note("car run exit 1, end marker code 3, state error, lock released");
    },
  );

  scenario(
    G,
    "agent ignores SIGTERM: SIGTERM to `car run` escalates to SIGKILL after the grace",
    "agent traps SIGTERM/SIGINT and never exits; SIGTERM sent to the runner; kill_grace_seconds 1",
    async (ctx) => {
      const { repo, car, agent } = await startSigtermIgnoringRun(ctx);
      signalQuietly(car.pid, "SIGTERM");
      const r = await car.exited;
      expect([130, 143], `runner exit (stderr ${r.stderr.slice(0, 300)})`).toContain(r.code);
      await waitFor(() => !isLive(agent), { timeoutMs: 15_000, what: "agent killed" });
      expect(groupMembers(agent), "agent's process group emptied").toEqual([]);
      const log = readLog(repo);
      assertWellFormed(log);
      expect(endMarker(log, 1)?.code, "end marker records SIGKILL (128+9)").toBe(137);
      expect(existsSync(repo.file("lock"))).toBe(false);
      expect(reportsRunning(await statusJson(repo))).toBe(false);
      ctx.note(`runner exit ${r.code}; agent SIGKILLed after the grace; end marker code 137; lock gone`);
    },
  );

  scenario(
    G,
    "agent ignores SIGTERM: `car kill` from another process ends runner and agent",
    "agent traps SIGTERM; `car kill` run while `car run` is in the agent",
    async (ctx) => {
      const { repo, car, agent } = await startSigtermIgnoringRun(ctx);
      const k = await repo.car(["kill"]);
      expect(k.code, k.stderr).toBe(0);
      await car.exited;
      await waitFor(() => !isLive(agent) && !isLive(car.pid), {
        timeoutMs: 20_000,
        what: "runner and agent gone",
      });
      expect(groupMembers(agent)).toEqual([]);
      const state = readJson(repo.file("state"));
      expect(state.status).toBe("error");
      expect(existsSync(repo.file("lock"))).toBe(false);
      const log = readLog(repo);
      expect(log.malformed).toEqual([]);
      expect(endMarker(log, 1), "run 1 closed").toBeDefined();
      ctx.note(`agent and runner dead, state error (${String(state.reason ?? "")}), lock cleared`);
    },
  );

  scenario(
    G,
    "agent forks a grandchild that keeps running",
    "agent spawns a never-ending child in its process group holding stdout, then exits 0",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      ctx.defer(() => {
        try {
          killTree(Number(readFileSync(join(repo.side, "grandchild.pid"), "utf8")));
        } catch {}
      });
      const r = await repo.car(["once", "--quiet"], { env: repo.env("fork-grandchild"), timeoutMs: 60_000 });
      expect(r.signal, "runner was not hung (killed by the test's timeout)").toBe(null);
      expect(r.code, r.stderr).toBe(0);
      const gpid = Number(readFileSync(join(repo.side, "grandchild.pid"), "utf8"));
      await waitFor(() => !isLive(gpid), { timeoutMs: 15_000, what: "grandchild killed by the group kill" });
      const [agent] = agentPids(repo);
      expect(groupMembers(agent!)).toEqual([]);
      expect(endMarker(readLog(repo), 1)?.code).toBe(0);
      ctx.note("group kill ended the grandchild; end marker code 0");
    },
  );

  const userDocs = (repo: ReturnType<typeof makeRepo>) => ({
    progress: readFileSync(repo.file("progress"), "utf8"),
    opinions: readFileSync(repo.file("opinions"), "utf8"),
  });

  scenario(
    G,
    "agent deletes TODO.md mid-run",
    "agent unlinks .codex-autorunner/TODO.md and exits 0; `car run` continues to its stop check",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const docs = userDocs(repo);
      const r = await repo.car(["run", "--quiet"], { env: repo.env("delete-todo") });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/TODO\.md/);
      expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      expect(existsSync(repo.file("todo")), "TODO.md not silently recreated").toBe(false);
      expect(userDocs(repo)).toEqual(docs);
      readJson(repo.file("state"));
      const log = readLog(repo);
      assertWellFormed(log);
      expect(endMarker(log, 1)?.code).toBe(0);
      expect(existsSync(repo.file("lock"))).toBe(false);
      ctx.note(`exit 1: "${r.stderr.trim().split("\n")[0]?.slice(0, 120)}"`);
    },
  );

  scenario(
    G,
    "agent truncates TODO.md mid-run",
    "agent truncates TODO.md to 0 bytes and exits 0",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const docs = userDocs(repo);
      const r = await repo.car(["run", "--quiet"], { env: repo.env("truncate-todo") });
      expect(r.code, r.stderr).toBe(0);
      expect(startMarkers(readLog(repo)), "loop stopped: nothing outstanding").toEqual([1]);
      expect(readFileSync(repo.file("todo"), "utf8"), "empty TODO left as the agent wrote it").toBe("");
      expect(userDocs(repo)).toEqual(docs);
      expect(readJson(repo.file("state"))).toMatchObject({ status: "idle", last_run_id: 1 });
      ctx.note("one run, then stopped (0 outstanding); TODO.md left empty, not refilled");
    },
  );

  scenario(
    G,
    "agent deletes the .codex-autorunner folder mid-run",
    "agent runs rm -rf .codex-autorunner, keeps printing, exits 0",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const original = readFileSync(repo.file("todo"), "utf8");
      const r = await repo.car(["run", "--quiet"], { env: repo.env("delete-dir"), timeoutMs: 60_000 });
      expect(r.signal, "runner did not hang").toBe(null);
      expect([0, 1]).toContain(r.code);
      expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      // A clear error names what vanished, not a bare errno from deep inside.
      expect(r.stderr, "clear error, not an internal one").not.toMatch(/internal error|ENOENT/);
      expect(r.stderr).toMatch(/\.codex-autorunner/);
      if (existsSync(repo.file("todo"))) expect(readFileSync(repo.file("todo"), "utf8")).toBe(original);
      if (existsSync(repo.file("state"))) readJson(repo.file("state"));
      if (existsSync(repo.file("log"))) expect(readLog(repo).malformed).toEqual([]);
      expect(existsSync(repo.file("lock")), "no lock left behind").toBe(false);
      const st = await repo.car(["status"]);
      expect(st.code).toBe(1);
      expect(st.stderr).toMatch(/config\.yml/);
      ctx.note(
        `car run exit ${r.code}: "${(r.stderr.trim().split("\n")[0] ?? "").slice(0, 100)}"; docs not recreated; status names config.yml`,
      );
    },
  );
});

function startMarkers(log: ReturnType<typeof readLog>): number[] {
  return log.markers.filter((m) => m.kind === "start").map((m) => m.run);
}
