import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./start.js";
import {
  activeResources,
  connectSse,
  logBlock,
  makeRepo,
  type SseClient,
  type SseEvent,
  type TestRepo,
  waitFor,
} from "./test-support.js";

let repo: TestRepo;
let server: RunningServer;
let baseline: Record<string, number>;
const clients: SseClient[] = [];
let runCounter = 100;

const streamUrl = (query = "") => `${server.url}/api/logs/stream${query}`;

async function open(headers: Record<string, string> = {}, query = ""): Promise<SseClient> {
  const c = await connectSse(streamUrl(query), headers);
  clients.push(c);
  expect(c.status).toBe(200);
  expect(c.headers["content-type"]).toMatch(/text\/event-stream/);
  // The first event is the current state: from then on the client is subscribed.
  await c.waitFor("initial state", (ev) => ev.some((e) => e.event === "state"));
  return c;
}

const logLines = (events: SseEvent[]) =>
  events.filter((e) => e.event === "log").map((e) => (JSON.parse(e.data) as { line: string }).line);

/** Byte offsets just past each line of the log file: what the ids must be (base 0). */
function lineEnds(path: string): number[] {
  const buf = readFileSync(path);
  const ends: number[] = [];
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) ends.push(i + 1);
  return ends;
}

function sameResources(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

beforeAll(async () => {
  repo = makeRepo();
  repo.appendLog(logBlock(1, ["old line a", "old line b"]));
  server = await startServer({
    root: repo.root,
    host: "127.0.0.1",
    port: 0,
    token: null,
    webRoot: null,
    sseHeartbeatMs: 300,
  });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  // Let the server settle, then record its resting handles (no subscribers yet).
  await new Promise((r) => setTimeout(r, 100));
  baseline = activeResources();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

describe("GET /api/logs/stream over a real server", () => {
  it("delivers appended lines in order with byte-offset ids, markers as run events", async () => {
    const c = await open();
    const run = ++runCounter;
    const lines = Array.from({ length: 50 }, (_, i) => `live ${run} #${i}`);
    repo.appendLog(logBlock(run, lines.slice(0, 25), null));
    repo.appendLog(logBlock(run, lines.slice(25)).replace(`=== run ${run} start ===\n`, ""));
    await c.waitFor("run end", (ev) =>
      ev.some((e) => e.event === "run" && JSON.parse(e.data).phase === "end"),
    );
    expect(logLines(c.events)).toEqual(lines);
    const runEvents = c.of("run").map((e) => JSON.parse(e.data));
    expect(runEvents).toEqual([
      { run_id: run, phase: "start", code: null, line: `=== run ${run} start ===` },
      { run_id: run, phase: "end", code: 0, line: `=== run ${run} end (code 0) ===` },
    ]);
    const first = JSON.parse(c.of("log")[0]!.data);
    expect(first).toEqual({ run_id: run, ts: "2026-01-01T12:00:00Z", stream: "stdout", line: lines[0] });
    // ids: strictly increasing, and exactly the offsets just past each line in the file.
    const ids = c.events.filter((e) => e.event === "log" || e.event === "run").map((e) => Number(e.id));
    const ends = lineEnds(repo.log);
    expect(ids).toEqual(ends.slice(ends.length - ids.length));
  });

  it("reconnecting with Last-Event-ID gets exactly the missed lines, then live ones", async () => {
    const a = await open();
    const run = ++runCounter;
    repo.appendLog(logBlock(run, ["before 1", "before 2"], null));
    await a.waitFor("before lines", (ev) => logLines(ev).includes("before 2"));
    const withIds = a.events.filter((e) => e.id !== undefined);
    const lastId = String(withIds[withIds.length - 1]?.id);
    a.close();
    await a.closed;
    const missed = Array.from({ length: 30 }, (_, i) => `missed ${i}`);
    repo.appendLog(logBlock(run, missed, null).replace(`=== run ${run} start ===\n`, ""));

    for (const how of ["header", "query"] as const) {
      const b =
        how === "header"
          ? await open({ "Last-Event-ID": lastId })
          : await open({}, `?last_event_id=${lastId}`);
      await b.waitFor("replay", (ev) => logLines(ev).includes("missed 29"));
      expect(logLines(b.events)).toEqual(missed);
      b.close();
    }
    const c = await open({ "Last-Event-ID": lastId });
    await c.waitFor("replay", (ev) => logLines(ev).includes("missed 29"));
    repo.appendLog(`[2026-01-01T12:00:00Z] run=${run} stdout: after\n`);
    await c.waitFor("live after replay", (ev) => logLines(ev).includes("after"));
    expect(logLines(c.events)).toEqual([...missed, "after"]);
    const ids = c.events.filter((e) => e.event === "log").map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("Last-Event-ID 0 replays the whole log; a bad id is a 400", async () => {
    const c = await open({ "Last-Event-ID": "0" });
    await c.waitFor("old lines", (ev) => logLines(ev).includes("old line b"));
    expect(logLines(c.events).slice(0, 2)).toEqual(["old line a", "old line b"]);
    const bad = await connectSse(streamUrl("?last_event_id=abc"));
    clients.push(bad);
    expect(bad.status).toBe(400);
  });

  it("100 concurrent subscribers all receive everything, sharing one watcher", async () => {
    const one = await open();
    const withOne = activeResources();
    const many = [one];
    for (let i = 0; i < 99; i++) many.push(await open());
    const withMany = activeResources();
    expect(server.stats()).toEqual({ sseSubscribers: 100, sharedWatchersActive: true });
    // Sockets grow with clients; the file watchers and timers do not.
    expect(withMany.FSEvent ?? 0).toBe(withOne.FSEvent ?? 0);
    expect(withMany.FileHandle ?? 0).toBe(withOne.FileHandle ?? 0);
    const run = ++runCounter;
    const lines = Array.from({ length: 200 }, (_, i) => `fanout ${i}`);
    repo.appendLog(logBlock(run, lines));
    await Promise.all(
      many.map((c) => c.waitFor("fan-out", (ev) => logLines(ev).includes("fanout 199"), 60_000)),
    );
    const reference = many[0]!.events.filter((e) => e.event === "log").map((e) => `${e.id}:${e.data}`);
    expect(reference).toHaveLength(200);
    for (const c of many) {
      expect(logLines(c.events)).toEqual(lines);
      expect(c.events.filter((e) => e.event === "log").map((e) => `${e.id}:${e.data}`)).toEqual(reference);
    }
  });

  it("heartbeats arrive", async () => {
    const c = await open();
    await c.waitFor("two pings", (ev) => ev.filter((e) => e.event === "ping").length >= 2);
    const ping = JSON.parse(c.of("ping")[0]!.data) as { ts: string };
    expect(Number.isNaN(Date.parse(ping.ts))).toBe(false);
  });

  it("state changes are pushed as event: state", async () => {
    const c = await open();
    const path = join(repo.dir, "state.json");
    const state = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const tmp = `${path}.tmp-test`;
    writeFileSync(tmp, JSON.stringify({ ...state, last_run_id: 77, status: "error", last_exit_code: 5 }));
    renameSync(tmp, path);
    await c.waitFor("state event", (ev) =>
      ev.some(
        (e) => e.event === "state" && (JSON.parse(e.data) as { last_run_id: number }).last_run_id === 77,
      ),
    );
    const last = JSON.parse(c.of("state").at(-1)!.data) as Record<string, unknown>;
    expect(last).toMatchObject({ status: "error", last_exit_code: 5, running: false });
    writeFileSync(path, JSON.stringify(state));
  });

  it("keeps streaming across truncation and rotation with ids that keep growing", async () => {
    const c = await open();
    const run = ++runCounter;
    repo.appendLog(logBlock(run, ["gen0 line"]));
    await c.waitFor("gen0", (ev) => logLines(ev).includes("gen0 line"));
    writeFileSync(repo.log, ""); // truncation
    repo.appendLog(logBlock(run + 1, ["gen1 line"]));
    await c.waitFor("gen1", (ev) => logLines(ev).includes("gen1 line"));
    renameSync(repo.log, `${repo.log}.1`); // rotation
    writeFileSync(repo.log, logBlock(run + 2, ["gen2 line"]));
    await c.waitFor("gen2", (ev) => logLines(ev).includes("gen2 line"));
    expect(c.of("reset").length).toBeGreaterThanOrEqual(2);
    expect(logLines(c.events)).toEqual(["gen0 line", "gen1 line", "gen2 line"]);
    const ids = c.events.filter((e) => e.id !== undefined && e.event !== "state").map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    // A client resuming from before the truncation is told to reset and gets the current file.
    const stale = await open({ "Last-Event-ID": "1" });
    await stale.waitFor("reset + replay", (ev) => logLines(ev).includes("gen2 line"));
    expect(stale.of("reset")).toHaveLength(1);
    expect(logLines(stale.events)).toEqual(["gen2 line"]);
  });

  it("disconnects release everything: handles return to the baseline", async () => {
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.all(Array.from({ length: 30 }, () => open()));
      for (const c of batch) c.close();
      await Promise.all(batch.map((c) => c.closed));
    }
    for (const c of clients.splice(0)) c.close();
    await waitFor("no subscribers", () => server.stats().sseSubscribers === 0);
    expect(server.stats().sharedWatchersActive).toBe(false);
    await waitFor(
      "resources back to baseline",
      () => sameResources(activeResources(), baseline),
      20_000,
      50,
    ).catch(() => {
      throw new Error(
        `resources ${JSON.stringify(activeResources())} != baseline ${JSON.stringify(baseline)}`,
      );
    });
  });
});
