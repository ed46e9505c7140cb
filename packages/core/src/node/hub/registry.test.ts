import { spawn } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hubRepoSchema, hubReposBodySchema } from "../../contract/hub.js";
import { type CarError, isCarError } from "../../errors.js";
import { waitFor } from "../engine/test-fixtures.js";
import { initRepo } from "../init.js";
import { carPaths } from "../paths.js";
import { isProcessAlive } from "../proc/procfs.js";
import { readRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { queuedStartPath, writeQueuedStart } from "./queued.js";
import { openHub } from "./registry.js";
import { useTestHubs } from "./test-fixtures.js";
import type { HubRegistryEvent, HubRepoRef } from "./types.js";

// Reads are real; a test may hold one repo's read to force an interleaving that load produces.
const reads = vi.hoisted(() => ({ hold: null as null | ((ref: HubRepoRef) => Promise<void> | undefined) }));
vi.mock("./summary.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("./summary.js")>();
  return {
    ...real,
    summariseRepo: async (ref: HubRepoRef) => {
      await reads.hold?.(ref);
      return real.summariseRepo(ref);
    },
  };
});

// Starts run the built dist/node/runner-main.js: `pnpm --filter @codex-autorunner/core build` first.
const makeHub = useTestHubs();
const pids: number[] = [];
const savedEnv = { SIDE: process.env.SIDE, AGENT_MODE: process.env.AGENT_MODE };

afterEach(() => {
  reads.hold = null;
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function failure(p: Promise<unknown>): Promise<CarError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCarError(err)) throw new Error(`expected a CarError, got ${String(err)}`);
  return err;
}

describe("the hub registry", () => {
  it("lists initialised, uninitialised, broken-config and missing repos, each with its status", async () => {
    const t = await makeHub();
    await t.repo("good");
    await t.repo("group/other");
    await t.repo("plain", { init: false });
    const broken = await t.repo("broken");
    await fsp.writeFile(join(broken, ".codex-autorunner/config.yml"), "runner:\n  sleep_seconds: soon\n");
    await fsp.writeFile(join(t.root, "hub.yml"), "repos: [plain, gone, broken]\n");
    const hub = await t.open();
    const body = hubReposBodySchema.parse(await hub.list());
    expect(body).toMatchObject({ root: t.root, max_concurrent_runs: null, active_runs: 0 });
    const byId = Object.fromEntries(body.repos.map((r) => [r.id, r]));
    expect(body.repos.map((r) => r.id)).toEqual(["plain", "gone", "broken", "good", "group~other"]);
    expect(byId.good).toMatchObject({
      status: "idle",
      source: "discovered",
      error: null,
      outstanding_count: 2,
      done_count: 0,
      path: join(t.root, "good"),
    });
    expect(byId.plain).toMatchObject({ status: "uninitialised", source: "manifest" });
    expect(byId.plain?.error).toContain("config.yml");
    expect(byId.gone).toMatchObject({ status: "missing" });
    expect(byId.gone?.error).toContain(join(t.root, "gone"));
    expect(byId.broken).toMatchObject({ status: "config_error", source: "manifest" });
    expect(byId.broken?.error).toContain("sleep_seconds");
    expect(hub.get("group~other")?.location).toEqual({ kind: "local", root: join(t.root, "group/other") });
    expect(hub.get("../good")).toBeUndefined();
    expect(await hub.summary("nope")).toBeUndefined();
  });

  it("a change in a repo reaches a subscriber within a few seconds", async () => {
    const t = await makeHub();
    const dir = await t.repo("a");
    const hub = await t.open();
    const events: HubRegistryEvent[] = [];
    hub.subscribe((e) => events.push(e));
    await fsp.writeFile(join(dir, ".codex-autorunner/TODO.md"), "- [x] one\n- [ ] two\n- [ ] three\n");
    await waitFor(
      () =>
        events.some((e) => e.type === "repo" && e.repo.done_count === 1 && e.repo.outstanding_count === 2),
      "the TODO change",
      5_000,
    );
    // A live lock (this process) makes it running.
    const paths = carPaths(dir);
    await fsp.writeFile(paths.lock, `${process.pid}\n`);
    await waitFor(() => events.some((e) => e.type === "repo" && e.repo.running), "the lock", 5_000);
    const last = events.at(-1) as Extract<HubRegistryEvent, { type: "repo" }>;
    expect(hubRepoSchema.parse(last.repo)).toMatchObject({ running: true, runner_pid: process.pid });
    expect(last.activeRuns).toBe(1);
    await fsp.rm(paths.lock);
    await waitFor(
      () => (events.at(-1) as { repo?: { running: boolean } }).repo?.running === false,
      "unlock",
      5_000,
    );
  });

  it("a repo initialised after the hub opened turns from uninitialised to idle", async () => {
    const t = await makeHub();
    const plain = await t.repo("plain", { init: false });
    await fsp.writeFile(join(t.root, "hub.yml"), "repos: [plain]\n");
    const hub = await t.open();
    expect((await hub.summary("plain"))?.status).toBe("uninitialised");
    const events: HubRegistryEvent[] = [];
    hub.subscribe((e) => events.push(e));
    await initRepo(plain);
    await waitFor(() => events.some((e) => e.type === "repo" && e.repo.status === "idle"), "the init", 5_000);
    expect((await hub.summary("plain"))?.outstanding_count).toBeGreaterThan(0);
  });

  it("a runner that dies without touching its files is noticed by the liveness check", async () => {
    const t = await makeHub();
    const dir = await t.repo("a");
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    pids.push(sleeper.pid as number);
    await fsp.writeFile(carPaths(dir).lock, `${sleeper.pid}\n`);
    const hub = await t.open();
    expect((await hub.summary("a"))?.running).toBe(true);
    const events: HubRegistryEvent[] = [];
    hub.subscribe((e) => events.push(e));
    sleeper.kill("SIGKILL");
    await waitFor(
      () => events.some((e) => e.type === "repo" && !e.repo.running),
      "the liveness check",
      10_000,
    );
    expect(existsSync(carPaths(dir).lock)).toBe(true); // nothing on disk changed
    expect(events.at(-1)).toMatchObject({ activeRuns: 0 });
  });

  it("a start queued before the hub opened is started when there is room", async () => {
    const t = await makeHub();
    const dir = await t.repo("a");
    process.env.SIDE = t.side;
    process.env.AGENT_MODE = "tick";
    await writeQueuedStart(carPaths(dir), { since: new Date().toISOString(), once: true });
    const hub = await t.open({ maxConcurrentRuns: 1 });
    await waitFor(
      async () => (await readState(carPaths(dir))).last_exit_code === 0,
      "the queued run",
      20_000,
    );
    await waitFor(async () => (await hub.summary("a"))?.status === "idle", "the card", 20_000);
    expect(existsSync(queuedStartPath(carPaths(dir)))).toBe(false);
  });

  it("a passive hub (car hub list/add/remove) lists a queued start but never launches it", async () => {
    const t = await makeHub();
    const dir = await t.repo("a");
    process.env.SIDE = t.side;
    process.env.AGENT_MODE = "tick";
    await writeQueuedStart(carPaths(dir), { since: new Date().toISOString(), once: true });
    const hub = await t.open({ maxConcurrentRuns: 1, passive: true });
    const listed = (await hub.list()).repos.find((r) => r.id === "a");
    expect(listed?.status).toBe("queued");
    expect(listed?.queued?.position).toBe(1);
    // Open long enough for a drain to have launched the runner had one been scheduled.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(existsSync(queuedStartPath(carPaths(dir)))).toBe(true);
    expect((await readState(carPaths(dir))).last_run_id).toBeNull();
    hub.close();
  });

  it("cap 1: the second start is queued with its position and starts when the first runner exits", async () => {
    const t = await makeHub();
    const a = await t.repo("a");
    const b = await t.repo("b");
    const c = await t.repo("c");
    process.env.SIDE = t.side;
    process.env.AGENT_MODE = "wait-tick";
    await fsp.writeFile(join(t.root, "hub.yml"), "max_concurrent_runs: 1\n");
    const hub = await t.open();
    expect(hub.maxConcurrentRuns).toBe(1);
    let maxRunning = 0;
    const running = new Set<string>();
    hub.subscribe((e) => {
      if (e.type !== "repo") return;
      if (e.repo.running) running.add(e.repo.id);
      else running.delete(e.repo.id);
      maxRunning = Math.max(maxRunning, running.size);
    });

    const first = await hub.start("a", { once: true });
    expect(first).toMatchObject({ running: true, queued: null });
    const second = await hub.start("b", { once: true });
    expect(second).toMatchObject({ running: false, pid: null, queued: { position: 1 } });
    const third = await hub.start("c", { once: true });
    expect(third).toMatchObject({ running: false, queued: { position: 2 } });
    const listed = await hub.list();
    expect(listed.active_runs).toBe(1);
    expect(listed.repos.find((r) => r.id === "b")).toMatchObject({
      status: "queued",
      queued: { once: true, position: 1 },
    });
    expect(listed.repos.find((r) => r.id === "c")?.queued?.position).toBe(2);
    // Cancel the third; let the first finish: the second starts by itself.
    expect(await hub.cancelQueued("c")).toBe(true);
    expect(await hub.cancelQueued("c")).toBe(false);
    expect(existsSync(queuedStartPath(carPaths(c)))).toBe(false);
    await fsp.writeFile(join(t.side, "go"), "");
    const finished = async (id: string) => {
      const card = (await hub.list()).repos.find((r) => r.id === id);
      return card?.last_run?.exit_code === 0 && !card.running;
    };
    await waitFor(() => finished("b"), "b's run to finish", 20_000);
    expect((await readState(carPaths(a))).last_run_id).toBe(1);
    expect((await readState(carPaths(c))).last_run_id).toBeNull();
    expect(existsSync(queuedStartPath(carPaths(b)))).toBe(false);
    expect(maxRunning).toBe(1);
    // b's runner started only after a's had finished its run.
    const runA = await readRunRecord(carPaths(a), 1);
    const runB = await readRunRecord(carPaths(b), 1);
    expect(Date.parse(runA.finished_at as string)).toBeLessThanOrEqual(Date.parse(runB.started_at));
    const body = await hub.list();
    expect(body.repos.map((r) => [r.id, r.status, r.queued])).toEqual([
      ["a", "idle", null],
      ["b", "idle", null],
      ["c", "idle", null],
    ]);
  });

  it("a start in a repo with a live runner is LOCK_HELD; unknown ids and unusable repos are refused", async () => {
    const t = await makeHub();
    const a = await t.repo("a");
    const plain = await t.repo("plain", { init: false });
    const broken = await t.repo("broken");
    await fsp.writeFile(join(broken, ".codex-autorunner/config.yml"), "runner:\n  sleep_seconds: soon\n");
    await fsp.writeFile(join(t.root, "hub.yml"), "repos: [plain, gone]\n");
    await fsp.writeFile(carPaths(a).lock, `${process.pid}\n`);
    const hub = await t.open({ maxConcurrentRuns: 1 });
    expect((await failure(hub.start("a", { once: true }))).code).toBe("LOCK_HELD");
    // A bad request (400) with the hub's reason, not a server error.
    const unusable = [
      ["plain", plain, "uninitialised", "config.yml"],
      ["gone", join(t.root, "gone"), "missing", "does not exist"],
      ["broken", broken, "config_error", "sleep_seconds"],
    ] as const;
    for (const [id, path, status, reason] of unusable) {
      const err = await failure(hub.start(id, { once: true }));
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT", details: { id, path, status } });
      expect(err.message).toContain(reason);
    }
    const unknown = await failure(hub.start("..", { once: true }));
    expect(unknown).toMatchObject({ code: "HUB_REPO_NOT_FOUND", details: { id: ".." } });
  });

  it("add and remove edit hub.yml only; outside the root is refused; a removed discovered repo is excluded", async () => {
    const t = await makeHub();
    const found = await t.repo("found");
    const fresh = await t.repo("fresh", { init: false });
    const raw = await t.repo("deep/er/raw", { init: false });
    await t.repo("../outside", { init: false });
    const hub = await t.open();
    expect((await hub.list()).repos.map((r) => r.id)).toEqual(["found"]);
    const events: HubRegistryEvent[] = [];
    hub.subscribe((e) => events.push(e));

    const added = await hub.add("fresh", { init: true });
    expect(added).toMatchObject({ id: "fresh", source: "manifest", status: "idle", path: fresh });
    expect(events.some((e) => e.type === "repo" && e.repo.id === "fresh")).toBe(true);
    expect((await failure(hub.add("fresh"))).code).toBe("HUB_REPO_EXISTS");
    expect((await failure(hub.add(found))).details).toMatchObject({ id: "found" });
    const outside = await failure(hub.add("../outside"));
    expect(outside).toMatchObject({ code: "INVALID_ARGUMENT", details: { key: "allow_outside_root" } });

    // Not discoverable (uninitialised, and deeper than discover_depth), so only listed.
    expect(await hub.add("deep/er/raw")).toMatchObject({
      id: "deep~er~raw",
      status: "uninitialised",
      path: raw,
    });

    expect(await hub.remove("found")).toMatchObject({ excluded: true, ref: { id: "found", path: found } });
    // Initialised by add, `fresh` is discoverable now: it must be excluded or it would come back.
    expect(await hub.remove("fresh")).toMatchObject({ excluded: true });
    expect(await hub.remove("deep~er~raw")).toMatchObject({ excluded: false });
    expect(events.filter((e) => e.type === "removed").map((e) => (e as { id: string }).id)).toEqual([
      "found",
      "fresh",
      "deep~er~raw",
    ]);
    expect((await hub.list()).repos).toEqual([]);
    expect(await fsp.readFile(join(t.root, "hub.yml"), "utf8")).toBe("exclude:\n  - found\n  - fresh\n");
    await fsp.access(join(found, ".codex-autorunner/config.yml"));
    await fsp.access(join(fresh, ".codex-autorunner/config.yml"));
    expect((await failure(hub.remove("found"))).code).toBe("HUB_REPO_NOT_FOUND");
  });

  it("an edit of hub.yml is picked up by the watch", async () => {
    const t = await makeHub();
    await t.repo("a");
    const hub = await t.open();
    const events: HubRegistryEvent[] = [];
    hub.subscribe((e) => events.push(e));
    await fsp.writeFile(join(t.root, "hub.yml"), "exclude: [a]\nmax_concurrent_runs: 2\n");
    await waitFor(() => events.some((e) => e.type === "removed" && e.id === "a"), "the removal", 5_000);
    expect(hub.maxConcurrentRuns).toBe(2);
  });

  it("a cancel queued behind a drain that picked the start answers false: that runner is launched", async () => {
    const t = await makeHub();
    const a = await t.repo("a");
    const b = await t.repo("b");
    process.env.SIDE = t.side;
    process.env.AGENT_MODE = "tick";
    await fsp.writeFile(carPaths(a).lock, `${process.pid}\n`); // a live runner fills the one slot
    await writeQueuedStart(carPaths(b), { since: new Date().toISOString(), once: true });
    const hub = await t.open({ maxConcurrentRuns: 1 });
    expect((await hub.summary("b"))?.status).toBe("queued");
    // a's runner is gone: this list notices it and puts a drain in line; the cancel comes after it.
    await fsp.rm(carPaths(a).lock);
    await hub.list();
    // Never "cancelled" while the drain launches b anyway: the caller (the stop route) stops it.
    expect(await hub.cancelQueued("b")).toBe(false);
    await waitFor(
      async () => (await readState(carPaths(b))).last_exit_code === 0,
      "b's launched run",
      20_000,
    );
    expect(existsSync(queuedStartPath(carPaths(b)))).toBe(false);
  });

  it("a queued start answers its true place even when a newer read of the repo overtakes the hub's", async () => {
    const t = await makeHub();
    const a = await t.repo("a");
    await t.repo("b");
    await t.repo("c");
    await fsp.writeFile(carPaths(a).lock, `${process.pid}\n`); // a live runner fills the one slot
    const hub = await t.open({ maxConcurrentRuns: 1 });
    expect(await hub.start("b", { once: true })).toMatchObject({ queued: { position: 1 } });
    // c's read right after its queued.json is written (its 2nd read here) is held until the watch's
    // read of c (the file appeared) has begun, so the hub's own read is superseded, as under load.
    let readsOfC = 0;
    let release = () => {};
    const overtaken = new Promise<void>((r) => {
      release = r;
    });
    reads.hold = (ref) => {
      if (ref.id !== "c") return undefined;
      readsOfC++;
      if (readsOfC === 2) return overtaken;
      if (readsOfC === 3) release();
      return undefined;
    };
    const third = await hub.start("c", { once: true });
    expect(readsOfC).toBeGreaterThanOrEqual(3);
    expect(third).toMatchObject({ running: false, queued: { position: 2 } });
    const listed = await hub.list();
    expect(listed.repos.map((r) => [r.id, r.queued?.position ?? null])).toEqual([
      ["a", null],
      ["b", 1],
      ["c", 2],
    ]);
  });

  it("symlinked aliases of one repo are one repo: listed once, counted once, not added again", async () => {
    const t = await makeHub();
    const alpha = await t.repo("alpha");
    const beta = await t.repo("beta");
    await fsp.symlink(alpha, join(t.root, "linkalpha"));
    await fsp.symlink(beta, join(t.root, "linkbeta"));
    await fsp.writeFile(join(t.root, "hub.yml"), "repos: [alpha, linkalpha]\n");
    await fsp.writeFile(carPaths(alpha).lock, `${process.pid}\n`);
    const hub = await t.open({ maxConcurrentRuns: 2 });
    const body = await hub.list();
    expect(body.repos.map((r) => r.id)).toEqual(["alpha", "beta"]);
    expect(body.active_runs).toBe(1);
    const dup = await failure(hub.add("linkbeta"));
    expect(dup).toMatchObject({ code: "HUB_REPO_EXISTS", details: { id: "beta" } });
    expect(await fsp.readFile(join(t.root, "hub.yml"), "utf8")).toBe("repos: [alpha, linkalpha]\n");
  });

  it("remove refuses a repo whose runner is alive and drops a removed repo's queued start", async () => {
    const t = await makeHub();
    const a = await t.repo("a");
    const b = await t.repo("b");
    await fsp.writeFile(carPaths(a).lock, `${process.pid}\n`); // a live runner fills the one slot
    const hub = await t.open({ maxConcurrentRuns: 1 });
    expect(await hub.start("b", { once: true })).toMatchObject({ queued: { position: 1 } });
    const held = await failure(hub.remove("a"));
    expect(held).toMatchObject({ code: "LOCK_HELD", details: { pid: process.pid, id: "a", path: a } });
    expect(held.message).toContain("stop it first");
    expect(hub.get("a")).toBeDefined();
    expect(await hub.remove("b")).toMatchObject({ excluded: true });
    expect(existsSync(queuedStartPath(carPaths(b)))).toBe(false);
    expect(hub.get("b")).toBeUndefined();
  });

  it("a broken hub.yml seen by the watch is logged once per distinct error; the last good list stays", async () => {
    const t = await makeHub();
    await t.repo("a");
    const lines: string[] = [];
    const hub = await t.open({ log: (line) => lines.push(line) });
    const manifest = join(t.root, "hub.yml");
    await fsp.writeFile(manifest, "discover_depth: deep\n");
    await waitFor(() => lines.length > 0, "the error", 5_000);
    expect(lines[0]).toMatch(
      /^codex-autorunner hub: .*hub\.yml.*discover_depth.*; keeping the last good list$/,
    );
    // The same error again is not logged again.
    await fsp.writeFile(manifest, "discover_depth: deep\n");
    await new Promise((r) => setTimeout(r, 500)); // the watch's re-read (debounced 100 ms) has run
    await fsp.writeFile(manifest, "max_concurrent_runs: zero\n");
    await waitFor(() => lines.length > 1, "the second error", 5_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("max_concurrent_runs");
    expect((await hub.list()).repos.map((r) => r.id)).toEqual(["a"]);
    // After a good hub.yml, the first error is news again.
    await fsp.writeFile(manifest, "max_concurrent_runs: 2\n");
    await waitFor(() => hub.maxConcurrentRuns === 2, "the good hub.yml", 5_000);
    await fsp.writeFile(manifest, "discover_depth: deep\n");
    await waitFor(() => lines.length > 2, "the error after a good read", 5_000);
    expect(lines[2]).toBe(lines[0]);
  });

  it("close() leaves no watchers or timers behind", async () => {
    const t = await makeHub();
    const dir = await t.repo("a");
    await t.repo("b");
    const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const watchersBefore = count("FSEventWrap");
    const timersBefore = count("Timeout");
    const hub = await openHub(t.root);
    expect(count("FSEventWrap")).toBeGreaterThan(watchersBefore);
    // A live runner starts the liveness timer.
    await fsp.writeFile(carPaths(dir).lock, `${process.pid}\n`);
    await waitFor(async () => (await hub.list()).active_runs === 1, "the runner to show", 5_000);
    await new Promise((r) => setTimeout(r, 150)); // let the debounce run out
    const timersDuring = count("Timeout"); // the liveness check among them
    hub.close();
    await new Promise((r) => setTimeout(r, 50)); // a closed watcher's handle goes a moment later
    expect(count("FSEventWrap")).toBe(watchersBefore);
    expect(count("Timeout")).toBeLessThan(timersDuring);
    expect(count("Timeout")).toBeLessThanOrEqual(timersBefore);
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});
