import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiErrorSchema, HTTP_CONTRACT, type RollbackBody, type RunDiffBody } from "@codex-autorunner/core";
import { takeCheckpoint } from "@codex-autorunner/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./start.js";
import { makeRepo, type TestRepo } from "./test-support.js";

/**
 * `GET /api/runs/:id/diff` and `POST /api/runs/:id/rollback` on a real server over a temp git repo
 * whose two runs' checkpoints are taken with core's takeCheckpoint around real file edits (what the
 * engine does around each run). Needs `pnpm --filter @codex-autorunner/core build` first.
 */

let repo: TestRepo;
let server: RunningServer;
let holder: ChildProcess | null = null;

const file = (name: string) => join(repo.root, name);
const read = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), "utf8") : null);
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo.root, encoding: "utf8" }).trim();

/** The files the runs touch, as they are on disk (null: absent). */
const WATCHED = ["a.txt", "b.txt", "c.txt", "new.txt"];
const onDisk = () => Object.fromEntries(WATCHED.map((n) => [n, read(n)]));
let beforeRun1: Record<string, string | null>;
let afterRun2: Record<string, string | null>;

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Connection: "close", ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function get(path: string) {
  const res = await fetch(`${server.url}${path}`, { headers: { Connection: "close" } });
  return { status: res.status, body: (await res.json()) as unknown };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(apiErrorSchema.parse(res.body).code).toBe(code);
}

beforeAll(async () => {
  repo = makeRepo();
  writeFileSync(file("a.txt"), "one\ntwo\n");
  writeFileSync(file("b.txt"), "to be deleted\n");
  git("add", "a.txt", "b.txt");
  git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "start");
  writeFileSync(file("c.txt"), "the user's own edit, before run 1\n");
  beforeRun1 = onDisk();
  await takeCheckpoint(repo.root, 1, "before");
  writeFileSync(file("a.txt"), "one\nTWO\nthree\n");
  rmSync(file("b.txt"));
  writeFileSync(file("new.txt"), "created by run 1\n");
  await takeCheckpoint(repo.root, 1, "after");
  await takeCheckpoint(repo.root, 2, "before");
  writeFileSync(file("a.txt"), "run 2 rewrote it\n");
  await takeCheckpoint(repo.root, 2, "after");
  afterRun2 = onDisk();
  server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, token: null, webRoot: null });
});

afterAll(async () => {
  holder?.kill("SIGKILL");
  await server?.close();
  repo?.cleanup();
});

describe("GET /api/runs/:id/diff", () => {
  it("lists the run's files with line counts and its patch, as the contract says", async () => {
    const res = await get("/api/runs/1/diff");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body: RunDiffBody = HTTP_CONTRACT.runDiff.response.parse(res.body);
    expect(body.files.map((f) => [f.path, f.status, f.additions, f.deletions])).toEqual([
      ["a.txt", "modified", 2, 1],
      ["b.txt", "deleted", 0, 1],
      ["new.txt", "added", 1, 0],
    ]);
    expect([body.additions, body.deletions, body.cut]).toEqual([3, 2, null]);
    expect(body.patch).toContain("+TWO\n");
    expect(body.patch).toContain("-to be deleted\n");
    expect(body.before.ref).toBe("refs/car/runs/1/before");
  });

  it("cuts the patch at max_bytes and says which files it leaves out", async () => {
    const res = await get("/api/runs/1/diff?max_bytes=40");
    const body = HTTP_CONTRACT.runDiff.response.parse(res.body);
    expect(Buffer.byteLength(body.patch)).toBeLessThanOrEqual(40);
    expect(body.files).toHaveLength(3);
    expect(body.cut?.omitted_files).toEqual(["b.txt", "new.txt"]);
    expectError(await get("/api/runs/1/diff?max_bytes=lots"), 400, "INVALID_ARGUMENT");
    expectError(await get(`/api/runs/1/diff?max_bytes=${5 * 1024 * 1024}`), 400, "INVALID_ARGUMENT");
  });

  it("400 for a bad id, 404 for a run without checkpoints", async () => {
    for (const id of ["0", "-1", "abc", "1.5"])
      expectError(await get(`/api/runs/${id}/diff`), 400, "INVALID_ARGUMENT");
    const missing = await get("/api/runs/7/diff");
    expectError(missing, 404, "RUN_NOT_FOUND");
    expect(apiErrorSchema.parse(missing.body).detail).toContain("refs/car/runs/7/before");
  });
});

describe("POST /api/runs/:id/rollback", () => {
  it("a dry run lists what would change and changes nothing", async () => {
    const refs = git("for-each-ref");
    const res = await post("/api/runs/1/rollback", '{"dry_run":true}');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const plan: RollbackBody = HTTP_CONTRACT.runRollback.response.parse(res.body);
    expect(plan).toMatchObject({
      run_id: 1,
      dry_run: true,
      nothing_to_do: false,
      runs_undone: [1, 2],
      undo: null,
    });
    expect(plan.restore).toEqual([
      { path: "a.txt", was: "modified" },
      { path: "b.txt", was: "deleted" },
    ]);
    expect(plan.remove).toEqual(["new.txt"]);
    expect(onDisk()).toEqual(afterRun2);
    expect(git("for-each-ref")).toBe(refs);
  });

  it("refuses cross-origin and non-JSON requests, changing nothing", async () => {
    const foreign = await post("/api/runs/1/rollback", "{}", { Origin: "http://evil.example" });
    expectError(foreign, 403, "FORBIDDEN_ORIGIN");
    const form = await post("/api/runs/1/rollback", "dry_run=false", {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expectError(form, 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(onDisk()).toEqual(afterRun2);
  });

  it("400 for a bad id or body, 404 for a run without a before checkpoint", async () => {
    expectError(await post("/api/runs/abc/rollback", "{}"), 400, "INVALID_ARGUMENT");
    expectError(await post("/api/runs/0/rollback", "{}"), 400, "INVALID_ARGUMENT");
    expectError(await post("/api/runs/1/rollback", '{"dry_run":"yes"}'), 400, "INVALID_ARGUMENT");
    // A misspelt flag is refused, never taken as a real rollback.
    expectError(await post("/api/runs/1/rollback", '{"dryRun":true}'), 400, "INVALID_ARGUMENT");
    expectError(await post("/api/runs/1/rollback", "not json"), 400, "INVALID_ARGUMENT");
    expectError(await post("/api/runs/7/rollback", '{"dry_run":true}'), 404, "RUN_NOT_FOUND");
    expect(onDisk()).toEqual(afterRun2);
  });

  it("409 naming the PID while a live process holds the runner lock; nothing changes", async () => {
    holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const lock = join(repo.dir, "lock");
    // The original's bare-PID lock: held while that process lives (its start time cannot be checked).
    writeFileSync(lock, `${holder.pid}\n`);
    try {
      for (const body of ['{"dry_run":true}', "{}"]) {
        const res = await post("/api/runs/1/rollback", body);
        expectError(res, 409, "LOCK_HELD");
        expect((res.body as { pid?: number }).pid).toBe(holder.pid);
      }
      expect(onDisk()).toEqual(afterRun2);
      expect(readFileSync(lock, "utf8")).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill("SIGKILL");
      holder = null;
      unlinkSync(lock);
    }
  });

  it("rolls back to before run 1, keeps the state it replaced, and releases the lock", async () => {
    const res = await post("/api/runs/1/rollback", "{}");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = HTTP_CONTRACT.runRollback.response.parse(res.body);
    expect(done).toMatchObject({ run_id: 1, dry_run: false, runs_undone: [1, 2] });
    expect(onDisk()).toEqual(beforeRun1);
    expect(done.undo?.command).toContain(done.undo?.stamp);
    // The undo ref holds the state before the rollback: run 2's work is there.
    expect(git("show", `${done.undo?.ref}:a.txt`)).toBe("run 2 rewrote it");
    expect(existsSync(join(repo.dir, "lock"))).toBe(false);
    const again = HTTP_CONTRACT.runRollback.response.parse(
      (await post("/api/runs/1/rollback", '{"dry_run":true}')).body,
    );
    expect(again.nothing_to_do).toBe(true);
  });
});
