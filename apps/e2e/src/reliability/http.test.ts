import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@codex-autorunner/testkit";
import { afterAll, describe, expect } from "vitest";
import {
  type CarServer,
  type HttpResponse,
  json,
  request,
  type SseClient,
  sse,
  startCarServe,
} from "../reliability-helpers/http.js";
import { fdCount, killTree, procMemory, signalQuietly } from "../reliability-helpers/proc.js";
import { type ScenarioContext, scenario } from "../reliability-helpers/record.js";
import { makeRepo, type Repo } from "../reliability-helpers/repo.js";

const G = "Hostile HTTP";
const JSON_HEADERS = { "content-type": "application/json" };
/** RSS above baseline allowed once slow SSE clients left and a full GC ran (allocator slack): generous. */
const SERVER_RSS_GROWTH_MB = 128;

function expectError(res: HttpResponse, statuses: number[], what: string): void {
  expect(statuses, `${what}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
  const body = json(res);
  expect(typeof body.detail, `${what}: error body has detail`).toBe("string");
  expect(typeof body.code, `${what}: error body has code`).toBe("string");
}

describe(G, () => {
  // One server for these scenarios, started by the first that needs it (a failure is then recorded
  // against each scenario instead of silently skipping them).
  let repo: Repo;
  let server: CarServer;
  let todoBefore: string;
  let started: Promise<void> | null = null;
  const shared = () => {
    started ??= (async () => {
      repo = makeRepo();
      todoBefore = readFileSync(repo.file("todo"), "utf8");
      server = await startCarServe(repo, { env: repo.env("silent") });
    })();
    return started;
  };
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  const req = async (path: string, o: Parameters<typeof request>[2] = {}) => {
    await shared();
    return request(server.port, path, o);
  };
  const assertTodoIntact = (ctx: ScenarioContext) => {
    const same = readFileSync(repo.file("todo"), "utf8") === todoBefore;
    ctx.lost(same ? 0 : 1);
    expect(same, "TODO.md unchanged by rejected requests").toBe(true);
  };

  scenario(
    G,
    "invalid JSON bodies → 400",
    "PUT /api/docs/todo, POST /api/run/start and POST /api/chat with broken JSON",
    async (ctx) => {
      const bodies = ['{"content": ', "not json", "{'content': 'x'}", "\u0000\u0001", ""];
      for (const body of bodies) {
        expectError(
          await req("/api/docs/todo", { method: "PUT", body, headers: JSON_HEADERS }),
          [400],
          `PUT docs ${JSON.stringify(body)}`,
        );
        expectError(
          await req("/api/chat", { method: "POST", body, headers: JSON_HEADERS }),
          [400],
          `POST chat ${JSON.stringify(body)}`,
        );
      }
      expectError(
        await req("/api/run/start", { method: "POST", body: "{once:", headers: JSON_HEADERS }),
        [400],
        "POST run/start",
      );
      ctx.fuzzed(bodies.length * 2 + 1);
      assertTodoIntact(ctx);
      ctx.note("400 with {detail, code} for each; TODO.md untouched");
    },
  );

  scenario(
    G,
    "wrong types in bodies → 400",
    "content as number/null/object/array, missing content, once as string, chat message empty or a number",
    async (ctx) => {
      const puts = [
        { content: 5 },
        { content: null },
        { content: { a: 1 } },
        { content: ["x"] },
        {},
        [],
        "just a string",
        42,
      ];
      for (const b of puts)
        expectError(
          await req("/api/docs/todo", { method: "PUT", body: JSON.stringify(b), headers: JSON_HEADERS }),
          [400],
          `PUT ${JSON.stringify(b)}`,
        );
      for (const b of [{ once: "yes" }, { once: 1 }, [true]])
        expectError(
          await req("/api/run/start", { method: "POST", body: JSON.stringify(b), headers: JSON_HEADERS }),
          [400],
          `start ${JSON.stringify(b)}`,
        );
      for (const b of [{ message: "" }, { message: 5 }, {}, { message: "hi", include_todo: "yes" }])
        expectError(
          await req("/api/chat", { method: "POST", body: JSON.stringify(b), headers: JSON_HEADERS }),
          [400],
          `chat ${JSON.stringify(b)}`,
        );
      ctx.fuzzed(puts.length + 7);
      assertTodoIntact(ctx);
      expect(existsSync(repo.file("lock")), "no runner started by a rejected start").toBe(false);
    },
  );

  scenario(
    G,
    "oversize bodies → 413",
    "PUT /api/docs/todo with 2 MiB (cap 1 MiB), with and without Content-Length (chunked)",
    async (ctx) => {
      const big = JSON.stringify({ content: "x".repeat(2 * 1024 * 1024) });
      const withLength = await req("/api/docs/todo", {
        method: "PUT",
        body: big,
        headers: JSON_HEADERS,
      }).catch((e: Error) => e);
      const chunked = await req("/api/docs/todo", {
        method: "PUT",
        body: Buffer.from(big),
        headers: { ...JSON_HEADERS, "transfer-encoding": "chunked" },
      }).catch((e: Error) => e);
      for (const [what, r] of [
        ["content-length", withLength],
        ["chunked", chunked],
      ] as const) {
        if (r instanceof Error) throw new Error(`${what}: connection failed instead of a 413 (${r.message})`);
        expectError(r, [413], what);
      }
      ctx.fuzzed(2);
      assertTodoIntact(ctx);
      const health = await req("/health");
      expect(health.status).toBe(200);
      ctx.note("413 both ways; server healthy after");
    },
  );

  scenario(
    G,
    "path traversal in :kind and run ids → 4xx, nothing read or written outside",
    "`..%2f`, `%2e%2e%2f`, `..%5c`, absolute paths and NUL in /api/docs/:kind, /api/runs/:id and ?run_id=",
    async (ctx) => {
      const kinds = [
        "..%2f..%2f..%2fetc%2fpasswd",
        "..%2fconfig.yml",
        "%2e%2e%2fstate.json",
        "..%5c..%5cconfig.yml",
        "%2fetc%2fpasswd",
        "todo%00",
        "TODO.md",
        "..",
        "constructor",
        "__proto__",
      ];
      for (const k of kinds) {
        const g = await req(`/api/docs/${k}`);
        expect([400, 404], `GET docs/${k}: ${g.status}`).toContain(g.status);
        expect(g.text).not.toMatch(/root:|auth_token|"last_run_id"/);
        const p = await req(`/api/docs/${k}`, {
          method: "PUT",
          body: JSON.stringify({ content: "PWNED" }),
          headers: JSON_HEADERS,
        });
        expect([400, 404], `PUT docs/${k}: ${p.status}`).toContain(p.status);
      }
      const runIds = [
        "..%2f..%2fstate",
        "..%2fstate.json",
        "-1",
        "0",
        "1e3",
        "abc",
        "1.5",
        "99999999999999999999999",
        "%2e%2e",
      ];
      for (const id of runIds) {
        const r = await req(`/api/runs/${id}`);
        expect([400, 404], `runs/${id}: ${r.status}`).toContain(r.status);
        expect(r.text).not.toMatch(/"last_run_id"|auth_token/);
        const l = await req(`/api/logs?run_id=${id}`);
        expect([400, 404], `logs?run_id=${id}: ${l.status}`).toContain(l.status);
      }
      ctx.fuzzed(kinds.length * 2 + runIds.length * 2);
      const pwned = [repo.dir, repo.root, join(repo.root, "..")]
        .flatMap((d) => readdirSync(d).map((f) => join(d, f)))
        .filter((f) => {
          try {
            return readFileSync(f, "utf8").includes("PWNED");
          } catch {
            return false;
          }
        });
      expect(pwned, "files written by traversal").toEqual([]);
      assertTodoIntact(ctx);
    },
  );

  scenario(
    G,
    "negative, huge and non-numeric tail → 400",
    "GET /api/logs?tail=-1, 0x10, 1e309, 99999999999999999999, abc, 1.5, empty",
    async (ctx) => {
      const bad = ["-1", "abc", "1.5", "1e309", "99999999999999999999", "0x10", "", "%00", "Infinity", "NaN"];
      for (const t of bad) expectError(await req(`/api/logs?tail=${t}`), [400], `tail=${t}`);
      const ok = await req("/api/logs?tail=5");
      expect(ok.status, ok.text).toBe(200);
      ctx.fuzzed(bad.length + 1);
      ctx.note("400 for each bad tail, 200 for tail=5");
    },
  );

  scenario(
    G,
    "doc edited behind the browser's back: stale If-Match → 409, nothing lost; racing PUTs → one wins",
    "GET PROGRESS.md's etag, the agent (here: a direct write) changes the file, PUT with the old etag; then 10 PUTs with one etag at once",
    async (ctx) => {
      const path = "/api/docs/progress";
      const e1 = json(await req(path)).etag as string;
      expect(typeof e1).toBe("string");
      const agentText = "# Progress\n\n- the agent wrote this while the user was editing\n";
      writeFileSync(repo.file("progress"), agentText);
      const stale = await req(path, {
        method: "PUT",
        body: JSON.stringify({ content: "# Progress\n\nuser's version\n" }),
        headers: { ...JSON_HEADERS, "if-match": e1 },
      });
      expectError(stale, [409], "PUT with a stale etag");
      const kept = readFileSync(repo.file("progress"), "utf8") === agentText;
      ctx.lost(kept ? 0 : 1);
      expect(kept, "the agent's edit is kept").toBe(true);
      const e2 = json(await req(path)).etag as string;
      const bodies = Array.from(
        { length: 10 },
        (_, i) => `# Progress\n\nwriter ${i}\n${"x".repeat(1000 * (i + 1))}\n`,
      );
      const results = await Promise.all(
        bodies.map((content) =>
          req(path, {
            method: "PUT",
            body: JSON.stringify({ content }),
            headers: { ...JSON_HEADERS, "if-match": e2 },
          }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((x) => x === 200).length, `statuses ${statuses.join(",")}`).toBe(1);
      expect(statuses.filter((x) => x === 409).length).toBe(9);
      const final = readFileSync(repo.file("progress"), "utf8");
      expect(bodies, "file holds exactly one writer's content (no torn write)").toContain(final);
      ctx.fuzzed(11);
      ctx.note(
        "409 for the stale etag with the agent's text kept; 1×200 + 9×409 for racing PUTs, file whole",
      );
    },
  );

  scenario(
    G,
    "unknown routes and methods → 404/405",
    "GET /api/nope, /api/docs/todo/extra, DELETE /api/docs/todo, POST /api/state, PATCH /api/runs",
    async (ctx) => {
      const cases: Array<[string, string]> = [
        ["GET", "/api/nope"],
        ["GET", "/api/docs/todo/extra"],
        ["DELETE", "/api/docs/todo"],
        ["POST", "/api/state"],
        ["PATCH", "/api/runs"],
        ["GET", "/api/run/start"],
        ["GET", "/api/"],
      ];
      for (const [method, path] of cases) {
        // JSON, as every write must be (anything else is a 415 before routing).
        const r = await req(path, { method, headers: JSON_HEADERS });
        expect([404, 405], `${method} ${path}: ${r.status}`).toContain(r.status);
      }
      ctx.fuzzed(cases.length);
    },
  );

  scenario(
    G,
    "1,000 SSE connects/disconnects → fds and memory back to baseline",
    "1,000 /api/logs/stream clients in waves of 50, each dropped abruptly right after the response headers; fds from /proc, RSS after a forced GC",
    async (ctx) => {
      await shared();
      // Warm up (first connections allocate lazily), then measure.
      for (const c of await Promise.all(
        Array.from({ length: 10 }, () => sse(server.port, "/api/logs/stream")),
      ))
        c.close();
      const base = await settle(server.pid);
      ctx.metric("baseline_fds", base.fds);
      ctx.metric("baseline_rss_mb", base.rssMb);
      for (let wave = 0; wave < 20; wave++) {
        const clients = await Promise.all(
          Array.from({ length: 50 }, () => sse(server.port, "/api/logs/stream")),
        );
        for (const c of clients) expect(c.status).toBe(200);
        for (const c of clients) c.close();
        await Promise.all(clients.map((c) => c.closed));
      }
      ctx.fuzzed(1000);
      const after = await settle(server.pid, base.fds);
      ctx.metric("after_fds", after.fds);
      ctx.metric("after_rss_mb", after.rssMb);
      expect(after.fds, "open fds after 1,000 SSE clients").toBeLessThanOrEqual(base.fds + 3);
      expect(after.rssMb - base.rssMb, "RSS growth (MB)").toBeLessThan(80);
      expect((await req("/health")).status).toBe(200);
      ctx.note(`fds ${base.fds} → ${after.fds}; RSS ${base.rssMb} → ${after.rssMb} MB`);
    },
    240_000,
  );
});

/**
 * Forces a full GC in the server (SIGUSR2, see gc-preload.mjs), then waits until its fd count stops
 * moving (and, if given, is back to `target` + 3); returns fds and RSS.
 */
async function settle(pid: number, target?: number): Promise<{ fds: number; rssMb: number }> {
  let last = -1;
  let stable = 0;
  const fds = await waitFor(
    async () => {
      signalQuietly(pid, "SIGUSR2");
      await new Promise((r) => setTimeout(r, 300));
      const n = fdCount(pid);
      if (n === null) throw new Error("server died");
      stable = n === last ? stable + 1 : 0;
      last = n;
      return stable >= 3 && (target === undefined || n <= target + 3) ? n : null;
    },
    { timeoutMs: 30_000, what: `server fds to settle (last ${last}, target ${target ?? "-"})` },
  ).catch(() => last);
  return { fds, rssMb: Math.round((procMemory(pid)?.rssKb ?? 0) / 102.4) / 10 };
}

describe("Hostile HTTP: slow SSE clients", () => {
  scenario(
    G,
    "slow SSE clients holding the stream open during a 200,000-line run (twice)",
    "20 SSE clients that never read + 1 normal client while the agent prints 200,000 lines, then all dropped; the round repeated; RSS read after a forced full GC (SIGUSR2 → gc() via a preload)",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      const server = await startCarServe(repo, { env: repo.env("lines", { HOSTILE_LINES: "200000" }) });
      ctx.defer(() => server.stop());
      const base = await settle(server.pid);
      const rounds: Array<{ fds: number; rssMb: number; peakMb: number }> = [];
      for (let round = 1; round <= 2; round++) {
        const slow: SseClient[] = [];
        for (let i = 0; i < 20; i++) slow.push(await sse(server.port, "/api/logs/stream", { paused: true }));
        const normal = await sse(server.port, "/api/logs/stream");
        ctx.defer(() => {
          for (const c of [...slow, normal]) c.close();
        });
        const start = await request(server.port, "/api/run/start", {
          method: "POST",
          body: JSON.stringify({ once: true }),
          headers: JSON_HEADERS,
        });
        expect(start.status, start.text).toBe(202);
        ctx.defer(() => killTree(Number(json(start).pid)));
        await waitFor(
          async () => {
            const st = json(await request(server.port, "/api/state", { timeoutMs: 10_000 }));
            return st.last_run_id === round && st.running === false;
          },
          { timeoutMs: 180_000, intervalMs: 500, what: `run ${round} finished (server stays responsive)` },
        );
        await waitFor(() => normal.received().split("hostile: printed 200000 lines").length > 1, {
          timeoutMs: 60_000,
          what: "normal client got the last line",
        });
        const peakMb = Math.round((procMemory(server.pid)?.hwmKb ?? 0) / 102.4) / 10;
        for (const c of slow) c.close();
        normal.close();
        const after = await settle(server.pid, base.fds);
        rounds.push({ ...after, peakMb });
        expect(after.fds, `fds after round ${round}'s clients left`).toBeLessThanOrEqual(base.fds + 3);
      }
      const [r1, r2] = rounds as [(typeof rounds)[0], (typeof rounds)[0]];
      ctx.metric("server_peak_rss_mb", r2.peakMb);
      ctx.metric("server_rss_after_mb", r2.rssMb);
      // After a forced full GC, what the slow clients cost must be gone: back near the baseline.
      expect(r1.rssMb - base.rssMb, "server RSS above baseline after round 1 (MB, after GC)").toBeLessThan(
        SERVER_RSS_GROWTH_MB,
      );
      expect(r2.rssMb - base.rssMb, "server RSS above baseline after round 2 (MB, after GC)").toBeLessThan(
        SERVER_RSS_GROWTH_MB,
      );
      // And nothing accumulates from one round to the next.
      expect(r2.rssMb - r1.rssMb, "RSS growth from round 1 to round 2 (MB, after GC)").toBeLessThan(40);
      ctx.note(
        `normal client got every line; server RSS ${base.rssMb} MB → ${r1.rssMb} MB after round 1 → ${r2.rssMb} MB after round 2 (peak ${r2.peakMb} MB); fds ${base.fds} → ${r1.fds} → ${r2.fds}`,
      );
    },
    300_000,
  );
});
