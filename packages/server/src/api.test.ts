import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarApp, createApp } from "./app.js";
import { logBlock, makeRepo, type TestRepo } from "./test-support.js";

function runRecord(id: number, exit = 0) {
  return {
    id,
    started_at: `2026-01-01T12:0${id}:00Z`,
    finished_at: `2026-01-01T12:0${id}:30Z`,
    duration_ms: 30000,
    exit_code: exit,
    signal: null,
    outcome: exit === 0 ? "completed" : "failed",
    todo_before: { outstanding: 3, done: 0 },
    todo_after: { outstanding: 2, done: 1 },
    backend: "plain",
    attempts: 1,
    thread_id: null,
    final_message: null,
    usage: null,
    commands: [],
    files_changed: [],
    commit: null,
    error: null,
  };
}

let repo: TestRepo;
let app: CarApp;

const JSON_TYPE = { "Content-Type": "application/json" };

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "PUT",
  body: JSON.stringify(body),
  headers: { "Content-Type": "application/json", ...headers },
});

async function expectError(
  res: Response,
  status: number,
  code: string,
): Promise<{ detail: string; code: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { detail: string; code: string };
  expect(body.code).toBe(code);
  expect(typeof body.detail).toBe("string");
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

beforeAll(() => {
  repo = makeRepo({
    server: { max_body_bytes: 4096 },
    docs: { extras: [{ name: "NOTES", path: "NOTES.md" }] },
  });
  writeFileSync(join(repo.root, "NOTES.md"), "notes here\n");
  repo.appendLog(logBlock(1, ["hello", "world"]) + logBlock(2, ["second run"], 3));
  mkdirSync(join(repo.dir, "runs"), { recursive: true });
  writeFileSync(join(repo.dir, "runs", "1.json"), JSON.stringify(runRecord(1)));
  writeFileSync(join(repo.dir, "runs", "2.json"), JSON.stringify(runRecord(2, 3)));
  app = createApp({ root: repo.root, version: "9.9.9", webRoot: null, token: null });
});

afterAll(() => {
  app.dispose();
  repo.cleanup();
});

describe("health and routing", () => {
  it("GET /health → ok and version", async () => {
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: "9.9.9" });
  });

  it("unknown API routes and methods → 404 JSON", async () => {
    await expectError(await app.request("/api/nope"), 404, "NOT_FOUND");
    await expectError(
      await app.request("/api/state", { method: "DELETE", headers: JSON_TYPE }),
      404,
      "NOT_FOUND",
    );
    await expectError(await app.request("/api/run/start"), 404, "NOT_FOUND"); // GET on a POST route
  });

  it("sends no CORS headers", async () => {
    const res = await app.request("/api/state", { headers: { Origin: "http://evil.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("docs", () => {
  it("GET /api/docs → all docs plus extras", async () => {
    const res = await app.request("/api/docs");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.todo).toContain("- [ ] first");
    expect(body.progress).toBe("# Progress\n");
    expect(body.opinions).toBe("# Opinions\n");
    expect(body.extras).toEqual({ NOTES: "notes here\n" });
  });

  it("GET /api/docs/:kind → content, etag, mtime", async () => {
    const res = await app.request("/api/docs/todo");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { kind: string; content: string; etag: string; mtime: string };
    expect(doc.kind).toBe("todo");
    expect(doc.content).toBe(readFileSync(join(repo.dir, "TODO.md"), "utf8"));
    expect(doc.etag.length).toBeGreaterThan(8);
    expect(res.headers.get("etag")).toBe(doc.etag);
    expect(Number.isNaN(Date.parse(doc.mtime))).toBe(false);
    const extra = await app.request("/api/docs/notes");
    expect(((await extra.json()) as { content: string }).content).toBe("notes here\n");
  });

  it("unknown kind and path traversal → 400 UNKNOWN_DOC", async () => {
    await expectError(await app.request("/api/docs/secrets"), 400, "UNKNOWN_DOC");
    await expectError(await app.request("/api/docs/..%2f..%2fetc%2fpasswd"), 400, "UNKNOWN_DOC");
    await expectError(
      await app.request("/api/docs/..%2fconfig.yml", json({ content: "x" })),
      400,
      "UNKNOWN_DOC",
    );
  });

  it("PUT writes the doc; If-Match mismatch → 409 and nothing written", async () => {
    const before = (await (await app.request("/api/docs/progress")).json()) as { etag: string };
    const put = await app.request(
      "/api/docs/progress",
      json({ content: "# Progress\n\nstep 1\n" }, { "If-Match": before.etag }),
    );
    expect(put.status).toBe(200);
    const after = (await put.json()) as { etag: string; content: string };
    expect(after.content).toBe("# Progress\n\nstep 1\n");
    expect(after.etag).not.toBe(before.etag);
    expect(readFileSync(join(repo.dir, "PROGRESS.md"), "utf8")).toBe("# Progress\n\nstep 1\n");

    const stale = await app.request(
      "/api/docs/progress",
      json({ content: "lost edit" }, { "If-Match": before.etag }),
    );
    await expectError(stale, 409, "DOC_CONFLICT");
    expect(readFileSync(join(repo.dir, "PROGRESS.md"), "utf8")).toBe("# Progress\n\nstep 1\n");
  });

  it("PUT validation: missing/non-string content, invalid JSON, empty body → 400; big body → 413", async () => {
    const before = readFileSync(join(repo.dir, "OPINIONS.md"), "utf8");
    const missing = await expectError(
      await app.request("/api/docs/opinions", json({})),
      400,
      "INVALID_ARGUMENT",
    );
    expect(missing.detail).toMatch(/content/);
    await expectError(
      await app.request("/api/docs/opinions", json({ content: 42 })),
      400,
      "INVALID_ARGUMENT",
    );
    await expectError(await app.request("/api/docs/opinions", json(["content"])), 400, "INVALID_ARGUMENT");
    const bad = await app.request("/api/docs/opinions", {
      method: "PUT",
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect((await expectError(bad, 400, "INVALID_ARGUMENT")).detail).toMatch(/JSON/);
    await expectError(
      await app.request("/api/docs/opinions", { method: "PUT", headers: JSON_TYPE }),
      400,
      "INVALID_ARGUMENT",
    );
    const big = await app.request("/api/docs/opinions", json({ content: "x".repeat(5000) }));
    await expectError(big, 413, "PAYLOAD_TOO_LARGE");
    expect(readFileSync(join(repo.dir, "OPINIONS.md"), "utf8")).toBe(before);
  });

  it("413 also without a Content-Length (chunked body)", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(JSON.stringify({ content: "y".repeat(6000) })));
        c.close();
      },
    });
    const res = await app.request("/api/docs/opinions", {
      method: "PUT",
      body: stream,
      headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      duplex: "half",
    } as RequestInit);
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("GET of a configured doc that does not exist → 404 DOC_MISSING", async () => {
    rmSync(join(repo.root, "NOTES.md"));
    await expectError(await app.request("/api/docs/NOTES"), 404, "DOC_MISSING");
    writeFileSync(join(repo.root, "NOTES.md"), "notes here\n");
  });

  it("concurrent PUTs with the same If-Match: exactly one 200, the rest 409, no torn file", async () => {
    const { etag } = (await (await app.request("/api/docs/todo")).json()) as { etag: string };
    const contents = Array.from(
      { length: 8 },
      (_, i) => `# TODO\n\n- [ ] writer ${i}\n${"z".repeat(300 + i)}\n`,
    );
    const results = await Promise.all(
      contents.map((content) => app.request("/api/docs/todo", json({ content }, { "If-Match": etag }))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    const onDisk = readFileSync(join(repo.dir, "TODO.md"), "utf8");
    expect(contents).toContain(onDisk);
    const winner = results[results.findIndex((r) => r.status === 200)]!;
    expect(((await winner.json()) as { content: string }).content).toBe(onDisk);
  });
});

describe("state", () => {
  it("GET /api/state → state.json fields, counts, todo items, liveness", async () => {
    writeFileSync(join(repo.dir, "TODO.md"), "# TODO\n\n- [ ] first\n- [x] second\n- [ ] third\n");
    const res = await app.request("/api/state");
    expect(res.status).toBe(200);
    const s = (await res.json()) as Record<string, unknown>;
    expect(s).toMatchObject({
      last_run_id: null,
      status: "idle",
      last_exit_code: null,
      running: false,
      runner_pid: null,
    });
    expect(s.outstanding_count).toBe(2);
    expect(s.done_count).toBe(1);
    expect(s.todo_items).toEqual([
      { text: "first", done: false, line: 3 },
      { text: "second", done: true, line: 4 },
      { text: "third", done: false, line: 5 },
    ]);
    expect(s).toHaveProperty("lock");
  });

  it("a corrupt state.json → 500 STATE_CORRUPT naming the file", async () => {
    const path = join(repo.dir, "state.json");
    const good = readFileSync(path, "utf8");
    writeFileSync(path, "{not json");
    try {
      const body = await expectError(await app.request("/api/state"), 500, "STATE_CORRUPT");
      expect(body.detail).toMatch(/state\.json/);
    } finally {
      writeFileSync(path, good);
    }
  });
});

describe("configuration errors", () => {
  it("a broken config.yml → 500 with a specific code and detail, on plain routes and the stream", async () => {
    const path = join(repo.dir, "config.yml");
    const good = readFileSync(path, "utf8");
    try {
      writeFileSync(path, "version: 1\nrunner:\n  sleep_seconds: soon\n");
      for (const route of ["/api/state", "/api/docs/todo", "/api/logs/stream"]) {
        const body = await expectError(await app.request(route), 500, "CONFIG_INVALID");
        expect(body.detail).toMatch(/runner\.sleep_seconds/);
      }
      writeFileSync(path, "version: 1\nrunner: [unclosed\n");
      const yaml = await expectError(await app.request("/api/runs"), 500, "CONFIG_YAML");
      expect(yaml.detail).toMatch(/line/);
    } finally {
      writeFileSync(path, good);
    }
    expect((await app.request("/api/state")).status).toBe(200);
  });
});

describe("runs", () => {
  it("GET /api/runs → newest first, paginated", async () => {
    const res = await app.request("/api/runs");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runs: Array<{ id: number }>; total: number; next: number | null };
    expect(body.runs.map((r) => r.id)).toEqual([2, 1]);
    expect(body.total).toBe(2);
    expect(body.next).toBeNull();
    const first = (await (await app.request("/api/runs?limit=1")).json()) as {
      runs: Array<{ id: number }>;
      next: number | null;
    };
    expect(first.runs.map((r) => r.id)).toEqual([2]);
    expect(first.next).toBe(1);
    const page = (await (await app.request("/api/runs?limit=1&offset=1")).json()) as {
      runs: Array<{ id: number }>;
      next: number | null;
    };
    expect(page.runs.map((r) => r.id)).toEqual([1]);
    expect(page.next).toBeNull();
  });

  it("GET /api/runs/:id → the record; unknown → 404; bad ids → 400", async () => {
    const res = await app.request("/api/runs/2");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { exit_code: number }).exit_code).toBe(3);
    await expectError(await app.request("/api/runs/99"), 404, "RUN_NOT_FOUND");
    for (const bad of ["abc", "-1", "0", "1e3", "..%2f..%2fstate", "1.5"]) {
      await expectError(await app.request(`/api/runs/${bad}`), 400, "INVALID_ARGUMENT");
    }
    for (const q of ["limit=0", "limit=-1", "limit=abc", "limit=100000", "offset=-3"]) {
      await expectError(await app.request(`/api/runs?${q}`), 400, "INVALID_ARGUMENT");
    }
  });
});

describe("logs", () => {
  it("run_id → that run's block", async () => {
    const res = await app.request("/api/logs?run_id=1");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { run_id: number; log: string };
    expect(body.run_id).toBe(1);
    expect(body.log).toContain("run=1 stdout: hello");
    expect(body.log).toContain("=== run 1 end (code 0) ===");
    expect(body.log).not.toContain("second run");
  });

  it("tail → the last N lines; no query → the last run's block", async () => {
    const tail = (await (await app.request("/api/logs?tail=2")).json()) as { tail: number; log: string };
    expect(tail.tail).toBe(2);
    expect(tail.log).toContain("second run");
    expect(tail.log).toContain("=== run 2 end (code 3) ===");
    expect(tail.log).not.toContain("hello");
    const last = (await (await app.request("/api/logs")).json()) as { run_id: number; log: string };
    expect(last.run_id).toBe(2);
    expect(last.log).toContain("second run");
  });

  it("unknown run → 404; bad numbers → 400", async () => {
    await expectError(await app.request("/api/logs?run_id=42"), 404, "RUN_NOT_FOUND");
    for (const q of [
      "tail=-1",
      "tail=abc",
      "tail=1e9",
      "tail=99999999999",
      "run_id=x",
      "run_id=-2",
      "tail=",
    ]) {
      await expectError(await app.request(`/api/logs?${q}`), 400, "INVALID_ARGUMENT");
    }
  });
});

describe("run control without a runner", () => {
  it("stop and kill with nothing running → 409 NOT_RUNNING", async () => {
    await expectError(
      await app.request("/api/run/stop", { method: "POST", headers: JSON_TYPE }),
      409,
      "NOT_RUNNING",
    );
    await expectError(
      await app.request("/api/run/kill", { method: "POST", headers: JSON_TYPE }),
      409,
      "NOT_RUNNING",
    );
  });

  it("start with a bad body → 400", async () => {
    await expectError(
      await app.request("/api/run/start", { method: "POST", body: '{"once": "yes"}', headers: JSON_TYPE }),
      400,
      "INVALID_ARGUMENT",
    );
    await expectError(
      await app.request("/api/run/start", { method: "POST", body: "{", headers: JSON_TYPE }),
      400,
      "INVALID_ARGUMENT",
    );
    await expectError(
      await app.request("/api/run/resume", { method: "POST", body: "[]", headers: JSON_TYPE }),
      400,
      "INVALID_ARGUMENT",
    );
  });

  it("start while a live process holds the lock → 409 LOCK_HELD with its pid", async () => {
    const lock = join(repo.dir, "lock");
    writeFileSync(lock, String(process.pid)); // the original's bare-PID format, held by this live process
    try {
      const body = (await expectError(
        await app.request("/api/run/start", { method: "POST", headers: JSON_TYPE }),
        409,
        "LOCK_HELD",
      )) as { pid?: number };
      expect(body.pid).toBe(process.pid);
    } finally {
      rmSync(lock, { force: true });
    }
  });
});

describe("chat validation", () => {
  it("empty or missing message → 400", async () => {
    const post = (body: string) =>
      app.request("/api/chat", { method: "POST", body, headers: { "Content-Type": "application/json" } });
    await expectError(await post(JSON.stringify({ message: "" })), 400, "INVALID_ARGUMENT");
    await expectError(await post(JSON.stringify({ message: "   \n" })), 400, "INVALID_ARGUMENT");
    await expectError(await post(JSON.stringify({})), 400, "INVALID_ARGUMENT");
    await expectError(
      await post(JSON.stringify({ message: "hi", include_todo: "yes" })),
      400,
      "INVALID_ARGUMENT",
    );
    await expectError(await post("nope"), 400, "INVALID_ARGUMENT");
  });
});
