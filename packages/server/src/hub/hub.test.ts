import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTP_CONTRACT, HUB_STREAM_EVENTS, type RouteName } from "@codex-autorunner/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../start.js";
import { connectSse, killRunners, makeRepo, type SseClient, standInAgent, waitFor } from "../test-support.js";
import { type RunningHubServer, startHubServer } from "./start.js";

/**
 * A real hub (`startHubServer` on 127.0.0.1, core's registry, detached runners driving a stand-in
 * agent) over a root holding two initialised repos, one uninitialised and one missing (both listed in
 * hub.yml), one with a broken config. Needs core built (`pnpm --filter @codex-autorunner/core build`).
 */

const TOKEN = "hub-test-token-0123456789abcdef";
const auth = { Authorization: `Bearer ${TOKEN}` };

let root: string;
let outside: string;
let webRoot: string;
let hub: RunningHubServer;
const release = () => join(root, "release");
const runners = new Set<number>();
const clients: SseClient[] = [];
const logLines: string[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Record<string, unknown>;
}

/** A request over node:http: the path goes out exactly as written (no URL normalisation), any Host. */
function raw(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const url = new URL(hub.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: init.method ?? "GET",
        headers: init.headers,
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on("error", reject);
    // Node sends a DELETE's body without a length unless told.
    if (init.body !== undefined) req.setHeader("Content-Length", Buffer.byteLength(init.body));
    req.end(init.body);
  });
}

/** An authorised JSON request. */
const api = (path: string, method = "GET", body?: unknown) =>
  raw(path, {
    method,
    headers: { ...auth, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The body is the route's success shape (core's contract, strict): a missing or extra key fails. */
function contract(name: RouteName, answer: Answer): void {
  const spec = HTTP_CONTRACT[name] as {
    response?: { safeParse(v: unknown): { error?: { issues: unknown } } };
    status?: number;
  };
  expect(answer.status, answer.text.slice(0, 400)).toBe(spec.status ?? 200);
  expect(
    spec.response?.safeParse(answer.body).error?.issues,
    `${name}: ${answer.text.slice(0, 400)}`,
  ).toBeUndefined();
}

/** Every event of a hub stream parses with the contract's schema for it. */
function contractEvents(client: SseClient): void {
  for (const e of client.events) {
    if (e.event === "") continue; // a comment
    const schema = HUB_STREAM_EVENTS[e.event as keyof typeof HUB_STREAM_EVENTS];
    expect(schema, `event "${e.event}"`).toBeDefined();
    expect(
      schema.safeParse(JSON.parse(e.data)).error?.issues,
      `${e.event}: ${e.data.slice(0, 400)}`,
    ).toBeUndefined();
  }
}

type Card = { id: string; status: string; error: string | null; running: boolean; queued: unknown };
const repos = async () => (await api("/hub/repos")).body as { repos: Card[]; active_runs: number };
const card = async (id: string) => (await repos()).repos.find((r) => r.id === id);

async function sse(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await connectSse(`${hub.url}${path}`, { ...auth, ...headers });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "car-hub-"));
  outside = mkdtempSync(join(tmpdir(), "car-hub-outside-"));
  execFileSync("git", ["init", "-q"], { cwd: outside, stdio: "pipe" });
  for (const name of ["alpha", "beta"]) {
    const repo = makeRepo(
      { runner: { kill_grace_seconds: 1 } },
      "# TODO\n\n- [ ] one\n- [ ] two\n",
      join(root, name),
    );
    // Each run prints a few lines, then waits for the test's release file.
    const agent = standInAgent(repo.dir, { lines: 3, intervalMs: 20, waitFile: release() });
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(
      join(repo.dir, "config.yml"),
      JSON.stringify({ ...config, codex: { binary: process.execPath, args: [agent] } }),
    );
  }
  const broken = makeRepo({}, undefined, join(root, "broken"));
  writeFileSync(join(broken.dir, "config.yml"), "version: 1\nrunner:\n  sleep_seconds: soon\n");
  mkdirSync(join(root, "gamma"));
  execFileSync("git", ["init", "-q"], { cwd: join(root, "gamma"), stdio: "pipe" });
  writeFileSync(join(root, "hub.yml"), "repos:\n  - gamma\n  - gone\n");

  webRoot = mkdtempSync(join(tmpdir(), "car-hub-web-"));
  mkdirSync(join(webRoot, "assets"));
  writeFileSync(join(webRoot, "index.html"), "<!doctype html><title>repo page</title>");
  writeFileSync(join(webRoot, "hub.html"), "<!doctype html><title>hub page</title>");
  writeFileSync(join(webRoot, "assets", "app-123.js"), "console.log('app')");

  hub = await startHubServer({
    root,
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    maxConcurrentRuns: 1,
    webRoot,
    sseHeartbeatMs: 500,
    log: (line) => logLines.push(line),
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await hub?.close();
  writeFileSync(release(), "go");
  killRunners(runners);
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  rmSync(webRoot, { recursive: true, force: true });
});

describe("hub: repos", () => {
  it("a hub.yml broken while serving is reported once on the log; the last good list stays", async () => {
    const before = (await repos()).repos.map((r) => r.id);
    const manifest = join(root, "hub.yml");
    const good = readFileSync(manifest, "utf8");
    writeFileSync(manifest, "repos: [gamma\n");
    try {
      await waitFor("the log line", () => logLines.some((l) => l.includes("hub.yml")));
      const line = logLines.find((l) => l.includes("hub.yml")) ?? "";
      expect(line).toMatch(/^codex-autorunner hub: .*hub\.yml.*keeping the last good list$/);
      expect((await repos()).repos.map((r) => r.id)).toEqual(before);
    } finally {
      writeFileSync(manifest, good);
    }
  });

  it("lists every repo with its status, the unusable ones with their error", async () => {
    contract("hubRepos", await api("/hub/repos"));
    const body = await repos();
    const byId = Object.fromEntries(body.repos.map((r) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual(["alpha", "beta", "broken", "gamma", "gone"]);
    expect(byId.alpha).toMatchObject({ status: "idle", error: null, running: false, outstanding_count: 2 });
    expect(byId.beta).toMatchObject({ status: "idle", error: null });
    expect(byId.gamma).toMatchObject({ status: "uninitialised", source: "manifest" });
    expect(byId.gone).toMatchObject({ status: "missing", source: "manifest" });
    expect(byId.broken).toMatchObject({ status: "config_error", source: "discovered" });
    for (const id of ["gamma", "gone", "broken"]) expect(byId[id]?.error, id).toEqual(expect.any(String));
    expect(byId.broken?.error).toContain("sleep_seconds");
    expect(body).toMatchObject({ root, max_concurrent_runs: 1, active_runs: 0 });
  });

  it("a repo's state under /repos/<id>/api is the repo's own", async () => {
    const own: RunningServer = await startServer({
      root: join(root, "alpha"),
      host: "127.0.0.1",
      port: 0,
      token: null,
      webRoot: null,
    });
    try {
      const direct = (await (await fetch(`${own.url}/api/state`)).json()) as Record<string, unknown>;
      const viaHub = await api("/repos/alpha/api/state");
      expect(viaHub.status).toBe(200);
      expect(viaHub.body).toEqual(direct);
      expect(viaHub.body).toMatchObject({ root: join(root, "alpha"), status: "idle", queued: null });
    } finally {
      await own.close();
    }
    // A repo with a broken config answers with that error, not the hub's.
    const broken = await api("/repos/broken/api/docs/todo");
    expect(broken.body).toMatchObject({ code: "CONFIG_INVALID" });
    expect(String(broken.body.detail)).toContain("sleep_seconds");
  });

  it("refuses paths outside the root, `..`, and links leading out; adds and removes one inside", async () => {
    for (const path of [outside, "../x", `${root}/../${outside.split("/").pop()}`, "/etc"]) {
      const r = await api("/hub/repos", "POST", { path });
      expect(r.status, path).toBe(400);
      expect(r.body.code, path).toBe("INVALID_ARGUMENT");
    }
    symlinkSync(outside, join(root, "link-out"));
    const link = await api("/hub/repos", "POST", { path: "link-out" });
    expect(link.status).toBe(400);
    expect(link.body.detail).toContain("outside");
    expect((await api("/hub/repos", "POST", { path: "gamma" })).status).toBe(409);
    expect((await api("/hub/repos", "POST", { nope: 1 })).status).toBe(400);

    mkdirSync(join(root, "delta"));
    execFileSync("git", ["init", "-q"], { cwd: join(root, "delta"), stdio: "pipe" });
    const added = await api("/hub/repos", "POST", { path: "delta", init: true });
    contract("hubAddRepo", added);
    expect(added.body).toMatchObject({
      id: "delta",
      path: join(root, "delta"),
      status: "idle",
      source: "manifest",
    });
    expect(readFileSync(join(root, "hub.yml"), "utf8")).toContain("delta");
    expect((await api("/repos/delta/api/state")).status).toBe(200);
    const deltaLogs = await sse("/repos/delta/api/logs/stream");
    expect(deltaLogs.status).toBe(200);
    let deltaEnded = false;
    void deltaLogs.closed.then(() => {
      deltaEnded = true;
    });
    const appsBefore = hub.stats().repoApps;

    const removed = await api("/hub/repos/delta", "DELETE");
    contract("hubRemoveRepo", removed);
    // Its app is dropped: the open stream is ended by the server, the hub keeps no app for it.
    await waitFor("delta's log stream ended by the hub", () => deltaEnded, 5000);
    expect(hub.stats().repoApps).toBe(appsBefore - 1);
    // `--init` made it discoverable, so forgetting it puts it into `exclude:` (else it would come back).
    expect(removed.body).toEqual({ removed: true, id: "delta", path: join(root, "delta"), excluded: true });
    expect(readFileSync(join(root, "hub.yml"), "utf8")).toMatch(/exclude:\n\s+- delta/);
    const gone = await api("/repos/delta/api/state");
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe("HUB_REPO_NOT_FOUND");
    expect((await api("/hub/repos/delta", "DELETE")).body.code).toBe("HUB_REPO_NOT_FOUND");
    expect(await card("delta")).toBeUndefined();
  });
});

describe("hub: ids never reach outside the registered repos", () => {
  const attempts = [
    "/repos/../etc/passwd",
    "/repos/%2e%2e/api/state",
    "/repos/%2E%2E%2F%2E%2E%2Fetc/api/state",
    "/repos/a%2fb/api/state",
    "/repos/..%2f..%2fetc/api/docs/todo",
    "/repos/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/repos/alpha%2f..%2f..%2fetc/api/state",
    "/repos/nope/api/state",
    "/repos/.%2e/api/state",
    "/repos/%00/api/state",
    `/repos/${"a".repeat(200)}/api/state`,
  ];
  it.each(attempts)("%s → 404, nothing from outside", async (path) => {
    const r = await raw(path, { headers: auth });
    expect(r.status).toBe(404);
    expect(["HUB_REPO_NOT_FOUND", "NOT_FOUND"]).toContain(r.body.code);
    expect(r.text).not.toContain("root:");
  });

  it("unregistered ids that match the pattern are 404 HUB_REPO_NOT_FOUND", async () => {
    for (const id of ["nope", "...", "alpha~x", "gamma.."]) {
      const r = await api(`/repos/${id}/api/state`);
      expect(r.status, id).toBe(404);
      expect(r.body.code, id).toBe("HUB_REPO_NOT_FOUND");
    }
  });

  // Another path smuggled past the prefix: encoded slashes, `//`, an encoded "api".
  const smuggled = [
    "/repos/alpha/api/..%2f..%2fbeta%2fapi%2fstate",
    "/repos/alpha/..%2f..%2fapi/state",
    "/repos/alpha/%61pi/state",
    "/repos/alpha//api/state",
    "/repos/alpha//hub/repos",
    "/repos/alpha%2fapi/state",
    "/repos//repos/alpha/api/state",
    "//repos/alpha/api/state",
    "//hub/repos",
  ];
  it.each(smuggled)("%s: no repo's state nor the hub's list, with the token or without", async (path) => {
    for (const headers of [auth, {}]) {
      const r = await raw(path, { headers });
      expect(r.body.root, r.text.slice(0, 200)).toBeUndefined();
      expect(r.body.repos).toBeUndefined();
      expect(r.text).not.toContain(root);
    }
  });

  // Dot segments (plain or %2e) are resolved once, before routing, as a browser would: the guards
  // apply to the path they resolve to, and nothing resolves above `/`.
  const dotted: Array<[string, string]> = [
    ["/repos/alpha/api/%2e%2e/%2e%2e/beta/api/state", "/repos/beta/api/state"],
    ["/repos/alpha/x/%2e%2e/api/state", "/repos/alpha/api/state"],
    ["/repos/alpha/api/x/%2e%2e/%2e%2e/%2e%2e/hub/repos", "/repos/hub/repos"],
    ["/repos/alpha/api/../../../../hub/repos", "/hub/repos"],
  ];
  it.each(dotted)("%s is %s, token and all", async (path, resolved) => {
    const viaDots = await raw(path, { headers: auth });
    const direct = await raw(resolved, { headers: auth });
    expect(viaDots.status).toBe(direct.status);
    expect(viaDots.body).toEqual(direct.body);
    const without = await raw(path);
    expect(without.body.root).toBeUndefined();
    expect(without.body.repos).toBeUndefined();
  });

  it("a repo's UI files stay inside the web build", async () => {
    for (const path of [
      "/repos/alpha/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/repos/alpha/..%2f..%2f..%2fetc%2fpasswd",
      "/assets/..%2f..%2fetc%2fpasswd",
    ]) {
      const r = await raw(path);
      expect(r.text, path).not.toContain("root:");
    }
  });
});

describe("hub: pages", () => {
  it("serves hub.html at /, the repo UI under /repos/<id>/, shared assets; redirects /repos/<id>", async () => {
    const home = await raw("/");
    expect(home.status).toBe(200);
    expect(home.text).toContain("hub page");
    expect(home.headers["x-frame-options"]).toBe("DENY");
    const page = await raw("/repos/alpha/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("repo page");
    expect((await raw("/repos/alpha/logs")).text).toContain("repo page");
    expect((await raw("/repos/alpha/assets/app-123.js")).text).toContain("console.log");
    expect((await raw("/assets/app-123.js")).text).toContain("console.log");
    expect((await raw("/assets/missing.js")).status).toBe(404);
    const redirect = await raw("/repos/alpha?x=1");
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe("/repos/alpha/?x=1");
  });
});

describe("hub: auth, Host and writes on every route", () => {
  const guarded: Array<[string, string, unknown?]> = [
    ["GET", "/hub/repos"],
    ["POST", "/hub/repos", { path: "gamma" }],
    ["DELETE", "/hub/repos/gamma"],
    ["GET", "/hub/stream"],
    ["GET", "/repos/alpha/api/state"],
    ["GET", "/repos/alpha/api/docs/todo"],
    ["POST", "/repos/alpha/api/run/start", {}],
    ["POST", "/repos/alpha/api/run/stop", {}],
    ["GET", "/repos/alpha/api/logs/stream"],
    ["GET", "/repos/nope/api/state"],
  ];

  it.each(guarded)("%s %s: 401 without or with a wrong token", async (method, path, body) => {
    const json = { "Content-Type": "application/json" };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const none = await raw(path, { method, headers: json, body: payload });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe("UNAUTHORIZED");
    const wrong = await raw(path, {
      method,
      headers: { ...json, Authorization: "Bearer wrong-token-0123456789" },
      body: payload,
    });
    expect(wrong.status).toBe(401);
    const query = await raw(`${path}${path.includes("?") ? "&" : "?"}token=nope-nope-nope-nope`, {
      method,
      headers: json,
      body: payload,
    });
    expect(query.status).toBe(401);
  });

  const everything = [
    ...guarded.map(([m, p]) => [m, p] as [string, string]),
    ["GET", "/health"],
    ["GET", "/"],
    ["GET", "/repos/alpha/"],
    ["GET", "/assets/app-123.js"],
  ] as Array<[string, string]>;
  it.each(everything)("%s %s: 403 for a foreign Host, even with the token", async (method, path) => {
    const r = await raw(path, {
      method,
      headers: { ...auth, Host: "evil.example:80", "Content-Type": "application/json" },
      body: method === "GET" ? undefined : "{}",
    });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN_HOST");
  });

  const writes: Array<[string, string]> = [
    ["POST", "/hub/repos"],
    ["DELETE", "/hub/repos/gamma"],
    ["POST", "/repos/alpha/api/run/start"],
    ["POST", "/repos/alpha/api/run/stop"],
  ];
  it.each(writes)("%s %s: cross-origin 403, form 415", async (method, path) => {
    const body = JSON.stringify({ path: "gamma" });
    const foreign = await raw(path, {
      method,
      headers: { ...auth, "Content-Type": "application/json", Origin: "http://evil.example" },
      body,
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe("FORBIDDEN_ORIGIN");
    const site = await raw(path, {
      method,
      headers: { ...auth, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" },
      body,
    });
    expect(site.status).toBe(403);
    const form = await raw(path, {
      method,
      headers: { ...auth, "Content-Type": "application/x-www-form-urlencoded" },
      body: "path=gamma",
    });
    expect(form.status).toBe(415);
    expect(form.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("health needs no token; bodies over the cap are refused", async () => {
    expect((await raw("/health")).body).toMatchObject({ ok: true });
    const big = await api("/hub/repos", "POST", { path: "x".repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await card("gamma")).toMatchObject({ status: "uninitialised" });
    // A repo's own routes keep that repo's cap (server.max_body_bytes, default 1 MiB).
    const todo = readFileSync(join(root, "alpha", ".codex-autorunner", "TODO.md"), "utf8");
    const doc = await api("/repos/alpha/api/docs/todo", "PUT", { text: "x".repeat(2 * 1024 * 1024) });
    expect(doc.status).toBe(413);
    expect(readFileSync(join(root, "alpha", ".codex-autorunner", "TODO.md"), "utf8")).toBe(todo);
  });
});

describe("hub: runs through /repos/<id>/api, the cap and the stream", () => {
  it("start, queue behind the cap, cancel, stop, log; the stream follows", async () => {
    const stream = await sse("/hub/stream");
    expect(stream.status).toBe(200);
    await stream.waitFor("the repos snapshot", (e) => e.some((x) => x.event === "repos"));
    const first = stream.events.find((e) => e.event === "repos")!;
    expect(stream.events.filter((e) => e.event !== "").indexOf(first)).toBe(0);
    expect(first.id).toMatch(/^[0-9a-f]+\.\d+$/);
    expect((JSON.parse(first.data) as { repos: Card[] }).repos.map((r) => r.id)).toContain("alpha");

    const start = await api("/repos/alpha/api/run/start", "POST", { once: true });
    contract("runStart", start);
    expect(start.body).toMatchObject({ running: true, once: true, queued: null });
    const pid = start.body.pid as number;
    runners.add(pid);
    await waitFor("alpha's agent running", async () => {
      const s = (await api("/repos/alpha/api/state")).body;
      return s.running === true && s.agent_pid !== null;
    });
    // The change arrives on the hub stream as a `repo` event (file watches, no polling).
    await stream.waitFor(
      "a repo event for alpha running",
      (e) =>
        e.some(
          (x) =>
            x.event === "repo" && JSON.parse(x.data).repo.id === "alpha" && JSON.parse(x.data).repo.running,
        ),
      5000,
    );
    const seen = stream.events.filter((e) => e.event === "repo");
    const firstRepoEvent = seen[0]!;
    expect(JSON.parse(firstRepoEvent.data)).toMatchObject({
      repo: { id: expect.any(String) },
      active_runs: expect.any(Number),
    });

    // Cap 1: the second start waits.
    const queued = await api("/repos/beta/api/run/start", "POST", {});
    contract("runStart", queued);
    expect(queued.body).toMatchObject({ running: false, pid: null, once: false, queued: { position: 1 } });
    expect(await card("beta")).toMatchObject({ status: "queued", queued: { position: 1, once: false } });
    expect((await api("/repos/beta/api/state")).body).toMatchObject({ status: "queued", running: false });
    await stream.waitFor(
      "a repo event for beta queued",
      (e) =>
        e.some(
          (x) =>
            x.event === "repo" &&
            JSON.parse(x.data).repo.id === "beta" &&
            JSON.parse(x.data).repo.status === "queued",
        ),
      5000,
    );

    // Replay: a client that saw only the first event gets every later one, in order, without a snapshot.
    const seq = (id: string | undefined) => Number(id?.split(".")[1]);
    const later = stream
      .of("repo")
      .filter((e) => seq(e.id) > seq(firstRepoEvent.id))
      .map((e) => e.id);
    expect(later.length).toBeGreaterThan(0);
    const replay = await sse("/hub/stream", { "Last-Event-ID": firstRepoEvent.id! });
    await replay.waitFor("the missed events", (e) => later.every((id) => e.some((x) => x.id === id)));
    expect(replay.of("repos")).toHaveLength(0);
    const replayed = replay.of("repo").map((e) => seq(e.id));
    expect(replayed[0]).toBe(seq(firstRepoEvent.id) + 1);
    expect(replayed).toEqual([...replayed].sort((a, b) => a - b));
    // An unknown id (another hub's) starts over with a snapshot.
    const stale = await sse("/hub/stream?last_event_id=deadbeef.3");
    await stale.waitFor("a snapshot", (e) => e.some((x) => x.event === "repos"));

    // Stop cancels the queued start; then there is nothing to stop.
    const cancel = await api("/repos/beta/api/run/stop", "POST", {});
    contract("runStop", cancel);
    expect(cancel.body).toEqual({ stop_requested: false, runner_pid: null, queue_cancelled: true });
    expect(await card("beta")).toMatchObject({ status: "idle", queued: null });
    expect((await api("/repos/beta/api/run/stop", "POST", {})).body.code).toBe("NOT_RUNNING");

    const stop = await api("/repos/alpha/api/run/stop", "POST", {});
    expect(stop.body).toEqual({ stop_requested: true, runner_pid: pid, queue_cancelled: false });
    writeFileSync(release(), "go");
    await waitFor("alpha's run finished", async () => {
      const s = (await api("/repos/alpha/api/state")).body;
      return s.running === false && s.last_exit_code === 0;
    });
    await waitFor("runner gone", () => !alive(pid));
    const log = await api("/repos/alpha/api/logs?tail=50");
    expect(log.status).toBe(200);
    expect(String(log.body.log)).toContain("line 3");
    await stream.waitFor(
      "alpha idle on the stream",
      (e) =>
        e.some(
          (x) =>
            x.event === "repo" &&
            JSON.parse(x.data).repo.id === "alpha" &&
            JSON.parse(x.data).repo.status === "idle" &&
            JSON.parse(x.data).repo.last_run?.exit_code === 0,
        ),
      5000,
    );
    await stream.waitFor("a ping", (e) => e.some((x) => x.event === "ping"), 5000);
    for (const client of [stream, replay, stale]) contractEvents(client);
  });

  it("a repo's own log stream works through the hub; closed streams release everything", async () => {
    const logs = await sse("/repos/alpha/api/logs/stream?last_event_id=0");
    expect(logs.status).toBe(200);
    await logs.waitFor("the log replay", (e) =>
      e.some((x) => x.event === "log" && x.data.includes("line 2")),
    );
    expect(hub.stats()).toMatchObject({ sharedWatchersActive: true });
    expect(hub.stats().repoApps).toBeGreaterThan(0);
    // Clients gone: no stream, no watcher, no heartbeat left behind.
    for (const c of clients.splice(0)) c.close();
    await waitFor("streams released", () => {
      const stats = hub.stats();
      return stats.sseSubscribers === 0 && !stats.sharedWatchersActive;
    });
  });
});

describe("hub: close", () => {
  it("ends the hub stream and every repo's streams, and drops the repo apps", async () => {
    const hubStream = await sse("/hub/stream");
    const logs = await sse("/repos/beta/api/logs/stream");
    expect([hubStream.status, logs.status]).toEqual([200, 200]);
    await hubStream.waitFor("the repos snapshot", (e) => e.some((x) => x.event === "repos"));
    expect(hub.stats().repoApps).toBeGreaterThan(0);
    let ended = 0;
    for (const c of [hubStream, logs]) void c.closed.then(() => ended++);
    await hub.close();
    await waitFor("both streams ended by the server", () => ended === 2, 5000);
    expect(hub.stats()).toEqual({ sseSubscribers: 0, sharedWatchersActive: false, repoApps: 0 });
  });
});
