/**
 * The hub's concurrency cap with real processes: the built `car hub serve --max-concurrent-runs 1`
 * over repos whose agent (the stand-in, sleeping ~1 s) records its PID and lifetime outside the repo.
 * "Never two agents at once" is checked twice: /proc sampled every 50 ms for live agents (run marker
 * + argv), and the recorded start/end times compared afterwards.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  apiErrorSchema,
  HTTP_CONTRACT,
  type HubRepo,
  type HubReposBody,
  hubRepoPath,
  hubReposBodySchema,
  ROUTES,
  stateBodySchema,
} from "@codex-autorunner/core";
import { runCar, type SpawnedCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sse } from "../reliability-helpers/http.js";
import {
  type HubEvent,
  type HubRepoDir,
  type HubServe,
  hubEvents,
  killLeftRunners,
  readAgentLives,
  recordingRepo,
  sampleAgents,
  startHubServe,
} from "./support.js";

const SLEEP_MS = 1200;
/** Repos whose run must still be going while the test looks at the queue behind it. */
const LONG_SLEEP_MS = 3500;
/** A run that outlasts a hub's restart. */
const RESTART_SLEEP_MS = 4000;

let hubRoot = "";
let recordDir = "";
let recordFile = "";
let hub: HubServe;
let repos: Record<string, HubRepoDir> = {};
let terminal: SpawnedCar | null = null;

beforeAll(async () => {
  hubRoot = mkdtempSync(join(tmpdir(), "car-hub-cap-"));
  recordDir = mkdtempSync(join(tmpdir(), "car-hub-agents-"));
  recordFile = join(recordDir, "agents.jsonl");
  const make = (name: string, sleepMs: number) => recordingRepo(hubRoot, name, { recordFile, sleepMs });
  repos = {
    a: make("a", SLEEP_MS),
    b: make("b", SLEEP_MS),
    c: make("c", SLEEP_MS),
    t1: make("t1", LONG_SLEEP_MS),
    t2: make("t2", SLEEP_MS),
    q1: make("q1", LONG_SLEEP_MS),
    q2: make("q2", SLEEP_MS),
    q3: make("q3", SLEEP_MS),
    q4: make("q4", SLEEP_MS),
    h1: make("h1", RESTART_SLEEP_MS),
    h2: make("h2", SLEEP_MS),
  };
  hub = await startHubServe(hubRoot, ["--max-concurrent-runs", "1"]);
});

/** Samplers, pollers and streams a test started, ended after it whether it passed or not. */
const afterThisTest: Array<() => unknown> = [];
afterEach(async () => {
  for (const end of afterThisTest.splice(0)) await end();
});

afterAll(async () => {
  if (terminal && terminal.child.exitCode === null) {
    terminal.child.kill("SIGTERM");
    await terminal.exited.catch(() => {});
  }
  await hub?.stop();
  await killLeftRunners(Object.values(repos));
  rmSync(hubRoot, { recursive: true, force: true });
  rmSync(recordDir, { recursive: true, force: true });
});

const start = (id: string) => hub.call("POST", hubRepoPath(id, ROUTES.runStart.path), {});
const stop = (id: string) => hub.call("POST", hubRepoPath(id, ROUTES.runStop.path), {});

async function list(): Promise<HubReposBody> {
  const res = await hub.call("GET", ROUTES.hubRepos.path);
  expect(res.status).toBe(200);
  return hubReposBodySchema.parse(res.body);
}

function repoIn(body: HubReposBody, id: string): HubRepo {
  const repo = body.repos.find((r) => r.id === id);
  if (!repo) throw new Error(`no repo ${id} in /hub/repos: ${body.repos.map((r) => r.id).join(", ")}`);
  return repo;
}

/** The start answers, checked against the contract. */
async function startChecked(id: string) {
  const res = await start(id);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return HTTP_CONTRACT.runStart.response.parse(res.body);
}

/** `GET /hub/repos` every ~100 ms until stopped: every snapshot (each parsed by the contract). */
function pollList() {
  const snapshots: HubReposBody[] = [];
  let stopped = false;
  let failure: unknown = null;
  const loop = (async () => {
    while (!stopped) {
      snapshots.push(await list());
      await new Promise((r) => setTimeout(r, 100));
    }
  })().catch((err: unknown) => {
    failure = err;
  });
  const stop = async () => {
    stopped = true;
    await loop;
    if (failure) throw failure;
    return snapshots;
  };
  afterThisTest.push(() => stop().catch(() => {}));
  return { stop };
}

/** Every repo in `ids` ran its item and nothing runs or waits anywhere in the hub. */
async function waitAllDone(ids: string[]): Promise<HubReposBody> {
  return waitFor(
    async () => {
      const body = await list();
      const done = ids.every((id) => {
        const r = repoIn(body, id);
        return r.done_count === 1 && !r.running && r.queued === null && r.status === "idle";
      });
      return done && body.active_runs === 0 ? body : null;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `${ids.join(", ")} done and no runner alive` },
  );
}

function livesOf(ids: string[]) {
  return readAgentLives(recordFile).filter((l) => ids.includes(l.repo));
}

/** Lives sorted by start never overlap: each agent ended before the next one started. */
function expectOneAtATime(lives: ReturnType<typeof livesOf>): void {
  for (const life of lives)
    expect(life.end, `agent ${life.pid} in ${life.repo} recorded its end`).not.toBeNull();
  for (let k = 1; k < lives.length; k++) {
    const [prev, next] = [lives[k - 1]!, lives[k]!];
    expect(
      prev.end!,
      `${prev.repo} (PID ${prev.pid}) ended before ${next.repo} (PID ${next.pid}) started`,
    ).toBeLessThanOrEqual(next.start);
  }
}

describe("car hub serve --max-concurrent-runs 1", () => {
  it("generates its token, kept 0600 in <root>/.car-hub/server-token, and prints it in the URL", () => {
    const file = join(hubRoot, ".car-hub", "server-token");
    expect(hub.token).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(readFileSync(file, "utf8").trim()).toBe(hub.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(hub.car.stdout() + hub.car.stderr()).toContain(`?token=${hub.token}`);
  });

  it("three starts at once: one runs, two queue (1, 2) visibly, all run in queue order, never two agents alive", async () => {
    const ids = ["a", "b", "c"];
    const agents = sampleAgents(recordFile);
    afterThisTest.push(() => agents.stop());
    const lists = pollList();
    const stream = await sse(Number(new URL(hub.url).port), ROUTES.hubStream.path, {
      headers: { authorization: `Bearer ${hub.token}` },
    });
    afterThisTest.push(() => stream.close());
    expect(stream.status).toBe(200);
    await waitFor(() => stream.received().includes("\n\n"), { what: "the stream's first event" });
    const answers = await Promise.all(ids.map(async (id) => ({ id, answer: await startChecked(id) })));

    const running = answers.filter((x) => x.answer.running);
    expect(running, JSON.stringify(answers)).toHaveLength(1);
    expect(running[0]!.answer.pid).toEqual(expect.any(Number));
    expect(running[0]!.answer.queued).toBeNull();
    const queued = answers
      .filter((x) => !x.answer.running)
      .sort((x, y) => x.answer.queued!.position - y.answer.queued!.position);
    expect(queued.map((x) => x.answer.queued?.position)).toEqual([1, 2]);
    for (const x of queued) expect(x.answer.pid).toBeNull();

    // The queued repo's own API says so too (status `queued`, the start's time), while the first runs.
    const last = queued[1]!;
    const state = await hub.call("GET", hubRepoPath(last.id, ROUTES.state.path));
    const body = stateBodySchema.parse(state.body);
    expect(body.status).toBe("queued");
    expect(body.running).toBe(false);
    expect(body.queued).toEqual({ since: last.answer.queued!.since, once: false });

    const final = await waitAllDone(ids);
    const snapshots = await lists.stop();
    const sampled = agents.stop();
    const doneOnStream = (events: HubEvent[]) =>
      ids.every((id) => {
        const cards = events.flatMap((e) =>
          e.event === "repo" && e.data.repo.id === id ? [e.data.repo] : [],
        );
        return cards.at(-1)?.done_count === 1;
      });
    await waitFor(() => doneOnStream(hubEvents(stream.received())), {
      timeoutMs: 5_000,
      what: "the stream's cards of a, b and c showing their item done",
    });
    stream.close();
    const events = hubEvents(stream.received());

    // Meanwhile /hub/repos showed each waiting start as `queued` at its place.
    for (const [k, x] of queued.entries()) {
      const shown = snapshots.some((s) => {
        const r = repoIn(s, x.id);
        return r.status === "queued" && !r.running && r.queued?.position === k + 1;
      });
      expect(shown, `${x.id} shown as queued at position ${k + 1} in some /hub/repos answer`).toBe(true);
    }
    for (const s of snapshots) {
      expect(s.max_concurrent_runs).toBe(1);
      expect(s.active_runs).toBeLessThanOrEqual(1);
      expect(s.repos.filter((r) => r.running).map((r) => r.id).length).toBeLessThanOrEqual(1);
    }

    // The hub stream told the same story: a snapshot first, the queued cards, never two runs at once.
    expect(events[0]?.event).toBe("repos");
    const cards = events.flatMap((e) => (e.event === "repo" ? [e.data] : []));
    for (const [k, x] of queued.entries()) {
      const shown = cards.some(
        (c) => c.repo.id === x.id && c.repo.status === "queued" && c.repo.queued?.position === k + 1,
      );
      expect(shown, `a repo event shows ${x.id} queued at position ${k + 1}`).toBe(true);
    }
    for (const c of cards) expect(c.active_runs).toBeLessThanOrEqual(1);
    for (const id of ids) {
      const lastCard = cards.filter((c) => c.repo.id === id).at(-1);
      expect(lastCard?.repo).toMatchObject({ status: "idle", running: false, done_count: 1, queued: null });
    }

    // Ran in the order queued, one after the other (recorded lifetimes) ...
    const lives = livesOf(ids);
    expect(lives.map((l) => l.repo)).toEqual([running[0]!.id, ...queued.map((x) => x.id)]);
    expectOneAtATime(lives);
    // ... and never two alive in any /proc sample; the sampler saw exactly the agents that ran.
    expect(sampled.samples).toBeGreaterThan(20);
    expect(sampled.maxAlive, `agents alive at once: ${sampled.maxAlivePids.join(", ")}`).toBe(1);
    expect([...sampled.seen].sort()).toEqual(lives.map((l) => l.pid).sort());

    // Each repo's one item is ticked by its own run.
    for (const id of ids) {
      const r = repoIn(final, id);
      expect(r.outstanding_count).toBe(0);
      expect(r.last_run).toEqual({ id: 1, exit_code: 0, finished_at: expect.any(String) });
      expect(readFileSync(join(repos[id]!.dir, "TODO.md"), "utf8")).toContain(`- [x] the one task of ${id}`);
    }
    const finished = [running[0]!.id, ...queued.map((x) => x.id)].map((id) =>
      Date.parse(repoIn(final, id).last_run?.finished_at ?? ""),
    );
    expect([...finished].sort((x, y) => x - y)).toEqual(finished);
  });

  it("a terminal `car run` counts toward the cap: a hub start in another repo waits until it ends", async () => {
    const agents = sampleAgents(recordFile);
    afterThisTest.push(() => agents.stop());
    terminal = spawnCar(["run"], {
      cwd: repos.t1!.root,
      env: { CAR_AUTH_TOKEN: undefined },
      timeoutMs: 60_000,
    });
    await waitFor(
      async () => {
        const body = await list();
        return repoIn(body, "t1").running && body.active_runs === 1;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "the hub sees the terminal runner of t1" },
    );

    const answer = await startChecked("t2");
    expect(answer.running).toBe(false);
    expect(answer.pid).toBeNull();
    expect(answer.queued?.position).toBe(1);
    // Visible from the repo's own CLI as well.
    const status = await runCar(["status", "--json"], { cwd: repos.t2!.root });
    expect(status.code, status.stderr).toBe(0);
    expect(stateBodySchema.parse(JSON.parse(status.stdout)).status).toBe("queued");

    const ran = await terminal.exited;
    expect(ran.code, ran.stderr).toBe(0);
    await waitAllDone(["t1", "t2"]);
    const sampled = agents.stop();

    const lives = livesOf(["t1", "t2"]);
    expect(lives.map((l) => l.repo)).toEqual(["t1", "t2"]);
    expectOneAtATime(lives);
    expect(sampled.maxAlive, `agents alive at once: ${sampled.maxAlivePids.join(", ")}`).toBe(1);
    expect(sampled.seen.size).toBe(2);
  });

  it("queued starts cancelled (POST /api/run/stop, `car stop`) never run; the one behind moves up", async () => {
    const first = await startChecked("q1");
    expect(first.running).toBe(true);
    const waiting = [await startChecked("q2"), await startChecked("q3"), await startChecked("q4")];
    expect(waiting.map((a) => a.queued?.position)).toEqual([1, 2, 3]);
    expect(existsSync(join(repos.q2!.dir, "hub", "queued.json"))).toBe(true);

    const cancelled = await stop("q2");
    expect(cancelled.status).toBe(200);
    expect(HTTP_CONTRACT.runStop.response.parse(cancelled.body)).toEqual({
      stop_requested: false,
      runner_pid: null,
      queue_cancelled: true,
    });
    expect(existsSync(join(repos.q2!.dir, "hub", "queued.json"))).toBe(false);
    const state = stateBodySchema.parse((await hub.call("GET", hubRepoPath("q2", ROUTES.state.path))).body);
    expect(state.status).not.toBe("queued");
    expect(state.queued).toBeNull();
    // Nothing left to cancel: the contract's NOT_RUNNING.
    const again = await stop("q2");
    expect(again.status).toBe(409);
    expect(apiErrorSchema.parse(again.body).code).toBe("NOT_RUNNING");
    // The terminal's way, in the repo itself.
    const carStop = await runCar(["stop"], { cwd: repos.q4!.root });
    expect(carStop.code, carStop.stderr).toBe(0);
    expect(carStop.stdout).toMatch(/cancel/i);
    expect(existsSync(join(repos.q4!.dir, "hub", "queued.json"))).toBe(false);
    await waitFor(
      async () => {
        const body = await list();
        return (
          repoIn(body, "q3").queued?.position === 1 &&
          repoIn(body, "q2").queued === null &&
          repoIn(body, "q4").queued === null
        );
      },
      { timeoutMs: 2_000, intervalMs: 50, what: "q3 moved up to position 1 while q1 still runs" },
    );

    const final = await waitAllDone(["q1", "q3"]);
    const lives = livesOf(["q1", "q2", "q3", "q4"]);
    expect(lives.map((l) => l.repo)).toEqual(["q1", "q3"]);
    expectOneAtATime(lives);
    for (const id of ["q2", "q4"]) {
      const r = repoIn(final, id);
      expect(r).toMatchObject({
        status: "idle",
        running: false,
        queued: null,
        last_run: null,
        done_count: 0,
      });
      expect(readFileSync(join(repos[id]!.dir, "TODO.md"), "utf8")).toContain(`- [ ] the one task of ${id}`);
    }
  });
  it("a queued start outlives the hub: the next `car hub serve` runs it when the slot frees", async () => {
    expect((await startChecked("h1")).running).toBe(true);
    const queued = await startChecked("h2");
    expect(queued.queued?.position).toBe(1);
    await hub.stop();
    hub = await startHubServe(hubRoot, ["--max-concurrent-runs", "1"]);
    const body = await list();
    expect(repoIn(body, "h2")).toMatchObject({
      status: "queued",
      queued: { since: queued.queued!.since, once: false, position: 1 },
    });

    await waitAllDone(["h1", "h2"]);
    const lives = livesOf(["h1", "h2"]);
    expect(lives.map((l) => l.repo)).toEqual(["h1", "h2"]);
    expectOneAtATime(lives);
  });
});
