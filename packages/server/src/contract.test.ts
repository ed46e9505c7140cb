import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  apiErrorSchema,
  CHAT_EVENTS,
  HTTP_CONTRACT,
  ROUTES,
  type RouteName,
  type RouteParams,
  type RouteResponse,
  routePath,
  STREAM_EVENTS,
  type StateBody,
} from "@codex-autorunner/core";
import { takeCheckpoint } from "@codex-autorunner/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { type RunningServer, startServer } from "./start.js";
import {
  connectSse,
  killRunners,
  makeRepo,
  type SseClient,
  type SseEvent,
  SseParser,
  standInAgent,
  type TestRepo,
  waitFor,
} from "./test-support.js";

/**
 * Every route of core's contract called on a real server (real detached runners driving a stand-in
 * agent, a real chat agent), each answer parsed with the contract's strict schema: a missing, renamed
 * or extra key fails here. Needs `pnpm --filter @codex-autorunner/core build` first.
 */

let repo: TestRepo;
let server: RunningServer;
let stream: SseClient;
const release = () => join(repo.dir, "release-run");
const runners = new Set<number>();
const called = new Set<RouteName>();

interface Answer {
  status: number;
  body: unknown;
  type: string;
}

async function call<K extends RouteName>(
  name: K,
  opts: { params?: RouteParams<K>; query?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  called.add(name);
  const { method } = ROUTES[name];
  const path = routePath(name, (opts.params ?? {}) as RouteParams<K>);
  const res = await fetch(`${server.url}${path}${opts.query ?? ""}`, {
    method,
    headers: { "Content-Type": "application/json", Connection: "close", ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const type = res.headers.get("content-type") ?? "";
  const text = await res.text();
  return { status: res.status, type, body: type.includes("json") ? JSON.parse(text) : text };
}

/** The answer is the route's success shape, with its status. */
function expectOk<K extends RouteName>(name: K, res: Answer): RouteResponse<K> {
  const spec = HTTP_CONTRACT[name] as { response: z.ZodType; status?: number };
  expect(res.status, JSON.stringify(res.body)).toBe(spec.status ?? 200);
  const parsed = spec.response.safeParse(res.body);
  expect(parsed.error?.issues, `${name}: ${JSON.stringify(res.body).slice(0, 400)}`).toBeUndefined();
  return parsed.data as RouteResponse<K>;
}

/** The answer is the contract's error body with the given status and code. */
function expectError(res: Answer, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = apiErrorSchema.safeParse(res.body);
  expect(parsed.error?.issues, JSON.stringify(res.body)).toBeUndefined();
  expect(parsed.data?.code).toBe(code);
}

/** Every event's data parses with the schema the contract names for that event. */
function expectEvents(events: SseEvent[], schemas: Record<string, z.ZodType>): Set<string> {
  const seen = new Set<string>();
  for (const e of events) {
    if (e.event === "") continue; // a comment
    const schema = schemas[e.event];
    expect(schema, `event "${e.event}" is not in the contract`).toBeDefined();
    const parsed = schema!.safeParse(JSON.parse(e.data));
    expect(parsed.error?.issues, `${e.event}: ${e.data.slice(0, 400)}`).toBeUndefined();
    seen.add(e.event);
  }
  return seen;
}

async function state(): Promise<StateBody> {
  return expectOk("state", await call("state"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  repo = makeRepo();
  writeFileSync(join(repo.dir, "NOTES.md"), "# Notes\n");
  const agent = standInAgent(repo.dir, { lines: 3, intervalMs: 10, tick: true, waitFile: release() });
  const chat = join(repo.dir, "chat-agent.mjs");
  writeFileSync(chat, `import { readFileSync } from "node:fs";\nreadFileSync(0);\nconsole.log("answer");\n`);
  const config = {
    version: 1,
    codex: { binary: process.execPath, args: [agent] },
    chat: { args: [chat] },
    runner: { sleep_seconds: 0, kill_grace_seconds: 1 },
    docs: { extras: [{ name: "NOTES", path: ".codex-autorunner/NOTES.md" }] },
  };
  writeFileSync(join(repo.dir, "config.yml"), JSON.stringify(config));
  server = await startServer({
    root: repo.root,
    host: "127.0.0.1",
    port: 0,
    token: null,
    webRoot: null,
    sseHeartbeatMs: 200,
  });
  called.add("logStream");
  stream = await connectSse(`${server.url}${ROUTES.logStream.path}`);
  await stream.waitFor("first state", (ev) => ev.some((e) => e.event === "state"));
});

afterAll(async () => {
  stream?.close();
  await server?.close();
  killRunners(runners);
  repo?.cleanup();
});

describe("every route answers what core's contract says", () => {
  it("health, state, docs and logs before any run", async () => {
    expect(expectOk("health", await call("health"))).toMatchObject({ ok: true });
    const s = await state();
    expect(s).toMatchObject({ status: "idle", running: false, last_run_id: null, outstanding_count: 2 });
    expect(expectOk("logs", await call("logs"))).toEqual({ run_id: null, log: "" });
    const docs = expectOk("docs", await call("docs"));
    expect(docs.extras).toEqual({ NOTES: "# Notes\n" });
    const doc = expectOk("doc", await call("doc", { params: { kind: "progress" } }));
    const saved = expectOk(
      "saveDoc",
      await call("saveDoc", {
        params: { kind: "progress" },
        body: { content: "# Progress\n\nsaved\n" },
        headers: { "If-Match": doc.etag },
      }),
    );
    expect(saved.content).toBe("# Progress\n\nsaved\n");
    expectError(
      await call("saveDoc", {
        params: { kind: "progress" },
        body: { content: "x" },
        headers: { "If-Match": doc.etag },
      }),
      409,
      "DOC_CONFLICT",
    );
    expectError(
      await call("saveDoc", { params: { kind: "todo" }, body: { text: "x" } }),
      400,
      "INVALID_ARGUMENT",
    );
    expectError(await call("doc", { params: { kind: "nope" } }), 400, "UNKNOWN_DOC");
  });

  it("run control, runs and logs around a real run", async () => {
    const started = expectOk("runStart", await call("runStart", { body: { once: true } }));
    expect(started).toMatchObject({ running: true, queued: null });
    const start = { pid: started.pid as number };
    runners.add(start.pid);
    const running = await waitFor("a running state with an agent", async () => {
      const s = await state();
      return s.running && s.agent_pid !== null ? s : null;
    });
    expect(running).toMatchObject({ status: "running", runner_pid: start.pid, last_run_id: 1 });
    expect(running.lock.info?.pid).toBe(start.pid);
    const held = await call("runStart", { body: {} });
    expectError(held, 409, "LOCK_HELD");
    expect((held.body as { pid?: number }).pid).toBe(start.pid);
    expect(expectOk("runStop", await call("runStop"))).toEqual({
      stop_requested: true,
      runner_pid: start.pid,
      queue_cancelled: false,
    });

    writeFileSync(release(), "go");
    const done = await waitFor("run 1 finished", async () => {
      const s = await state();
      return !s.running && s.last_run !== null && s.last_run.finished_at !== null ? s : null;
    });
    expect(done).toMatchObject({ status: "idle", last_exit_code: 0, outstanding_count: 1, done_count: 2 });
    await waitFor("runner gone", () => !alive(start.pid));

    const page = expectOk("runs", await call("runs", { query: "?limit=1" }));
    expect(page).toMatchObject({ total: 1, limit: 1, offset: 0, next: null, corrupt: [] });
    expect(expectOk("run", await call("run", { params: { id: 1 } }))).toMatchObject({ id: 1, exit_code: 0 });
    expectError(await call("run", { params: { id: 99 } }), 404, "RUN_NOT_FOUND");
    expect(expectOk("logs", await call("logs", { query: "?run_id=1" })).log).toContain("line 3");
    expect(expectOk("logs", await call("logs", { query: "?tail=2" }))).toMatchObject({ tail: 2 });
    expectError(await call("logs", { query: "?tail=2&run_id=1" }), 400, "INVALID_ARGUMENT");
    expectError(await call("runs", { query: "?limit=0" }), 400, "INVALID_ARGUMENT");
    expectError(await call("runStop"), 409, "NOT_RUNNING");

    rmSync(release());
    const resumed = expectOk("runResume", await call("runResume", { body: { once: true } }));
    expect(resumed).toMatchObject({ running: true, once: true, resumed: true, queued: null });
    const resumedPid = resumed.pid as number;
    runners.add(resumedPid);
    await waitFor("run 2 running", async () => {
      const s = await state();
      return s.running && s.last_run_id === 2 && s.agent_pid !== null;
    });
    const killed = expectOk("runKill", await call("runKill"));
    expect(killed).toMatchObject({ killed: true, pid: resumedPid });
    await waitFor("killed runner gone", () => !alive(resumedPid));
    expectError(await call("runKill"), 409, "NOT_RUNNING");
    expect(await state()).toMatchObject({ running: false, status: "error" });
  });

  it("chat, as JSON and as events", async () => {
    const answer = expectOk("chat", await call("chat", { body: { message: "what next?" } }));
    expect(answer.response).toBe("answer");
    expectError(await call("chat", { body: { message: " " } }), 400, "INVALID_ARGUMENT");

    const streamed = await call("chat", {
      body: { message: "stream" },
      headers: { Accept: "text/event-stream" },
    });
    expect(streamed.type).toMatch(/text\/event-stream/);
    const events: SseEvent[] = [];
    new SseParser((e) => events.push(e)).push(streamed.body as string);
    expect([...expectEvents(events, CHAT_EVENTS)]).toEqual(["line", "done"]);

    const failing = join(repo.dir, "chat-fail.mjs");
    writeFileSync(failing, `process.exit(3);\n`);
    const config = join(repo.dir, "config.yml");
    writeFileSync(
      config,
      JSON.stringify({ ...JSON.parse(readFileSync(config, "utf8")), chat: { args: [failing] } }),
    );
    const failed = await call("chat", {
      body: { message: "fail" },
      headers: { Accept: "text/event-stream" },
    });
    const errors: SseEvent[] = [];
    new SseParser((e) => errors.push(e)).push(failed.body as string);
    expect([...expectEvents(errors, CHAT_EVENTS)]).toEqual(["error"]);
  });

  it("the live stream's events, a reset included", async () => {
    writeFileSync(repo.log, ""); // truncation → event: reset
    await stream.waitFor("reset", (ev) => ev.some((e) => e.event === "reset"));
    await stream.waitFor("ping", (ev) => ev.some((e) => e.event === "ping"));
    const seen = expectEvents(stream.events, STREAM_EVENTS);
    expect([...seen].sort()).toEqual(["log", "ping", "reset", "run", "state"]);
  });

  it("a run's diff and its rollback (checkpoints taken around an edit)", async () => {
    const work = join(repo.root, "work.txt");
    writeFileSync(work, "before\n");
    await takeCheckpoint(repo.root, 90, "before");
    writeFileSync(work, "after\n");
    await takeCheckpoint(repo.root, 90, "after");
    const diff = expectOk("runDiff", await call("runDiff", { params: { id: 90 }, query: "?max_bytes=4096" }));
    expect(diff.files.map((f) => [f.path, f.status])).toEqual([["work.txt", "modified"]]);
    const plan = expectOk(
      "runRollback",
      await call("runRollback", { params: { id: 90 }, body: { dry_run: true } }),
    );
    expect([plan.restore, plan.undo]).toEqual([[{ path: "work.txt", was: "modified" }], null]);
    const done = expectOk("runRollback", await call("runRollback", { params: { id: 90 }, body: {} }));
    expect(done.undo?.command).toMatch(/car rollback/);
    expect(readFileSync(work, "utf8")).toBe("before\n");
    expectError(await call("runDiff", { params: { id: 91 } }), 404, "RUN_NOT_FOUND");
  });

  it("steering: queue, list, delete", async () => {
    const queued = expectOk("steerPost", await call("steerPost", { body: { message: "  use pnpm  " } }));
    expect(queued).toMatchObject({ text: "use pnpm", state: "pending", run_id: null });
    const list = expectOk("steerList", await call("steerList"));
    expect(list.messages.map((m) => m.id)).toContain(queued.id);
    expectError(await call("steerPost", { body: { message: "" } }), 400, "INVALID_ARGUMENT");
    expect(expectOk("steerDelete", await call("steerDelete", { params: { id: queued.id } }))).toEqual({
      deleted: queued.id,
    });
    expectError(await call("steerDelete", { params: { id: queued.id } }), 404, "NOT_FOUND");
    expectError(await call("steerDelete", { params: { id: "../state" } }), 400, "INVALID_ARGUMENT");
  });

  it("covered every route of the table", () => {
    // The hub's own routes (`car hub serve`) are checked against the contract in hub/hub.test.ts.
    const repoRoutes = Object.keys(ROUTES).filter((name) => !name.startsWith("hub"));
    expect([...called].sort()).toEqual(repoRoutes.sort());
  });
});
