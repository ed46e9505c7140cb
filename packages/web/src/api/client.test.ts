import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  apiErrorSchema,
  emptyStateBody,
  finishRunRecord,
  HTTP_CONTRACT,
  newRunRecord,
  type RouteName,
  type RouteResponse,
  type StateBody,
} from "@codex-autorunner/core";
import { afterEach, describe, expect, it } from "vitest";
import { createApi } from "./client.js";
import { ApiError } from "./errors.js";

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((r) => s.close(() => r()));
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Reply = { status: number; body: string; type?: string };

/** A success answer of `route`, checked against core's contract first (no invented shapes). */
function ok<K extends RouteName>(route: K, body: RouteResponse<K>, status = 200): Reply {
  const spec = HTTP_CONTRACT[route] as { response: { parse(v: unknown): unknown } };
  return { status, body: JSON.stringify(spec.response.parse(body)) };
}

/** An error answer, checked against the contract's error shape. */
function fail(status: number, body: { detail: string; code: string }): Reply {
  return { status, body: JSON.stringify(apiErrorSchema.parse(body)) };
}

/** A real server standing in for the API: answers with `reply(seen)`. */
async function fakeApi(reply: (seen: Seen) => Reply) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { "Content-Type": r.type ?? "application/json" });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/ui/`, seen };
}

const idle: StateBody = emptyStateBody("/repo", {
  outstanding_count: 1,
  todo_items: [{ text: "first", done: false, line: 3 }],
});

const run3: RouteResponse<"run"> = finishRunRecord(
  newRunRecord({
    id: 3,
    startedAt: "2026-01-01T12:00:00Z",
    todoBefore: { outstanding: 2, done: 0 },
    backend: "plain",
  }),
  {
    finishedAt: "2026-01-01T12:01:00Z",
    exitCode: 0,
    outcome: "completed",
    todoAfter: { outstanding: 1, done: 1 },
  },
);

describe("createApi", () => {
  it("sends the bearer token and resolves paths against the page URL", async () => {
    const { base, seen } = await fakeApi(() => ok("state", idle));
    let token = "t0k";
    const api = createApi({ baseUrl: base, getToken: () => token });
    const state = await api.state();
    expect(state).toEqual(idle);
    expect(seen[0]?.url).toBe("/ui/api/state");
    expect(seen[0]?.headers.authorization).toBe("Bearer t0k");
    token = "";
    await api.state();
    expect(seen[1]?.headers.authorization).toBeUndefined();
  });

  it("saves a doc with If-Match and a JSON body, and reports 409 as a conflict", async () => {
    const { base, seen } = await fakeApi((s) =>
      s.headers["if-match"] === '"abc"'
        ? ok("saveDoc", { kind: "todo", content: "x", etag: '"def"', mtime: "2026-01-01T00:00:00.000Z" })
        : fail(409, { detail: "changed", code: "DOC_CONFLICT" }),
    );
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const doc = await api.saveDoc("todo", "- [ ] a\n", '"abc"');
    expect(doc.etag).toBe('"def"');
    expect([seen[0]?.method, seen[0]?.url]).toEqual(["PUT", "/ui/api/docs/todo"]);
    expect(JSON.parse(seen[0]!.body)).toEqual({ content: "- [ ] a\n" });
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    const err = await api.saveDoc("todo", "y", '"old"').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).conflict).toBe(true);
    expect((err as ApiError).code).toBe("DOC_CONFLICT");
  });

  it("reports the token of each request the server answered with success, never of a refused one", async () => {
    const { base } = await fakeApi((s) =>
      s.headers.authorization === "Bearer good"
        ? ok("state", idle)
        : fail(401, { detail: "Invalid token", code: "UNAUTHORIZED" }),
    );
    let token = "junk";
    const accepted: string[] = [];
    const api = createApi({ baseUrl: base, getToken: () => token, onTokenAccepted: (t) => accepted.push(t) });
    await expect(api.state()).rejects.toBeInstanceOf(ApiError);
    expect(accepted).toEqual([]);
    token = "good";
    await api.state();
    expect(accepted).toEqual(["good"]);
  });

  it("turns a 401 into an unauthorized ApiError with the server's detail", async () => {
    const { base } = await fakeApi(() => fail(401, { detail: "Invalid token", code: "UNAUTHORIZED" }));
    const api = createApi({ baseUrl: base, getToken: () => "bad" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code, err.detail, err.unauthorized]).toEqual([
      401,
      "UNAUTHORIZED",
      "Invalid token",
      true,
    ]);
  });

  it("reports a server that is gone as a NETWORK error", async () => {
    const { base } = await fakeApi(() => ok("state", idle));
    const s = server!;
    server = null;
    await new Promise<void>((r) => s.close(() => r()));
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code]).toEqual([0, "NETWORK"]);
  });

  it("reports a non-JSON success body clearly", async () => {
    const { base } = await fakeApi(() => ({ status: 200, body: "<!doctype html>", type: "text/html" }));
    const api = createApi({ baseUrl: base, getToken: () => "" });
    const err = (await api.state().catch((e: unknown) => e)) as ApiError;
    expect(err.detail).toMatch(/not JSON/);
  });

  it("sends run control as JSON writes, and query and path parameters", async () => {
    const { base, seen } = await fakeApi((s) => {
      if (s.url.startsWith("/ui/api/runs/")) return ok("run", run3);
      if (s.url.startsWith("/ui/api/runs"))
        return ok("runs", { runs: [run3], total: 3, limit: 1, offset: 0, next: 1, corrupt: [] });
      if (s.url.startsWith("/ui/api/logs")) return ok("logs", { run_id: 7, log: "" });
      if (s.url === "/ui/api/run/stop")
        return ok("runStop", { stop_requested: true, runner_pid: 42, queue_cancelled: false });
      return ok("runStart", { running: true, once: true, pid: 42, queued: null }, 202);
    });
    const api = createApi({ baseUrl: base, getToken: () => "" });
    expect((await api.start(true)).pid).toBe(42);
    expect([seen[0]?.method, seen[0]?.url, JSON.parse(seen[0]!.body)]).toEqual([
      "POST",
      "/ui/api/run/start",
      { once: true },
    ]);
    const page = await api.runs(1, 0);
    expect(seen[1]?.url).toBe("/ui/api/runs?limit=1&offset=0");
    expect([page.runs.map((r) => r.id), page.total, page.next]).toEqual([[3], 3, 1]);
    expect((await api.run(3)).outcome).toBe("completed");
    expect(seen[2]?.url).toBe("/ui/api/runs/3");
    await api.logs({ run_id: 7, tail: null });
    expect(seen[3]?.url).toBe("/ui/api/logs?run_id=7");
    // A write without a body is still JSON: the server refuses anything else.
    expect(await api.stop()).toEqual({ stop_requested: true, runner_pid: 42, queue_cancelled: false });
    expect([seen[4]?.method, seen[4]?.headers["content-type"], seen[4]?.body]).toEqual([
      "POST",
      "application/json",
      "{}",
    ]);
  });

  it("asks for a run's diff with a size cap, and for a rollback as a JSON write (409 a conflict)", async () => {
    const sha = (c: string) => c.repeat(40);
    const checkpoint = (phase: string, c: string) => ({
      ref: `refs/car/runs/3/${phase}`,
      commit: sha(c),
      head: sha("a"),
    });
    const file = { path: "a.txt", status: "modified" as const, additions: 1, deletions: 1, binary: false };
    const plan = {
      run_id: 3,
      dry_run: true,
      nothing_to_do: false,
      runs_undone: [3, 4],
      restore: [{ path: "a.txt", was: "modified" as const }],
      remove: ["new.txt"],
      keep: [],
      head: null,
      index: false,
      undo: null,
    };
    const { base, seen } = await fakeApi((s) => {
      if (s.url.includes("/diff"))
        return ok("runDiff", {
          run_id: 3,
          before: checkpoint("before", "b"),
          after: checkpoint("after", "c"),
          files: [file],
          additions: 1,
          deletions: 1,
          patch: "diff --git a/a.txt b/a.txt\n",
          cut: null,
        });
      if (JSON.parse(s.body).dry_run === true) return ok("runRollback", plan);
      return fail(409, { detail: "A runner is running (pid 42)", code: "LOCK_HELD" });
    });
    const api = createApi({ baseUrl: base, getToken: () => "" });
    expect((await api.runDiff(3, 1000)).files).toEqual([file]);
    expect([seen[0]?.method, seen[0]?.url]).toEqual(["GET", "/ui/api/runs/3/diff?max_bytes=1000"]);
    await api.runDiff(3);
    expect(seen[1]?.url).toBe("/ui/api/runs/3/diff");
    expect(await api.rollback(3, true)).toEqual(plan);
    expect([seen[2]?.method, seen[2]?.url, seen[2]?.headers["content-type"], seen[2]?.body]).toEqual([
      "POST",
      "/ui/api/runs/3/rollback",
      "application/json",
      '{"dry_run":true}',
    ]);
    const err = (await api.rollback(3, false).catch((e: unknown) => e)) as ApiError;
    expect([err.conflict, err.code, err.detail]).toEqual([true, "LOCK_HELD", "A runner is running (pid 42)"]);
    expect(seen[3]?.body).toBe('{"dry_run":false}');
  });
});
