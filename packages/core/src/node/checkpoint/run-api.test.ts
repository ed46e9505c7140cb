import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rollbackBodySchema, runDiffBodySchema, undoRollbackBodySchema } from "../../contract/changes.js";
import { isCarError } from "../../errors.js";
import { parseLogLine } from "../../log/format.js";
import { RUN_MARKER_ENV } from "../../proc/marker.js";
import { newRunRecord } from "../../runs/record.js";
import { initialState } from "../../state/transitions.js";
import { LogReader } from "../log/reader.js";
import { LogWriter } from "../log/writer.js";
import { carPaths } from "../paths.js";
import { newRunMarker } from "../proc/marker.js";
import { processStartTime } from "../proc/procfs.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";
import { writeState } from "../state-store.js";
import { rollbackRun, runDiffBody, undoRollbackRun } from "./run-api.js";
import { takeCheckpoint } from "./take.js";
import { gitState, listing, type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill("SIGKILL");
  child = null;
  repo?.cleanup();
});

const write = (path: string, text: string) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};
const read = (path: string) => readFileSync(join(repo.root, path), "utf8");
const paths = () => carPaths(repo.root);
/** The tool's own folder is never part of a checkpoint (snapshot.ts): runs write to it, rollbacks leave it. */
const runtime = (p: string) => p === ".codex-autorunner" || p.startsWith(".codex-autorunner/");
const tree = () => listing(repo.root, runtime);

/** A run as the runner makes it: log block, checkpoint before, the work, checkpoint after, record. */
async function run(id: number, work: () => void): Promise<void> {
  const w = await LogWriter.open(paths().log, paths().logIndex);
  await w.startRun(id);
  await takeCheckpoint(repo.root, id, "before");
  await w.line(id, "stdout", `working on run ${id}`);
  work();
  await takeCheckpoint(repo.root, id, "after");
  await w.endRun(id, 0);
  await w.close();
  await writeRunRecord(
    paths(),
    newRunRecord({ id, todoBefore: { outstanding: 1, done: 0 }, backend: "test" }),
  );
}

/** A project as `car init` leaves it, committed; then the user's uncommitted edit and an ignored folder. */
function project(): void {
  write(".gitignore", "node_modules/\n");
  write(
    ".codex-autorunner/.gitignore",
    "state.json\ncodex-autorunner.log\n*.idx\nlock\nlock.*\nruns/\n*.tmp\n",
  );
  write(".codex-autorunner/TODO.md", "- [ ] work\n");
  write("keep.txt", "keep v1\n");
  write("edit.txt", "edit v1\n");
  write("gone.txt", "gone v1\n");
  repo.git("add", "-A");
  repo.git("commit", "-qm", "project");
  write("keep.txt", "keep v1 + the user's uncommitted edit\n");
  write("node_modules/pkg/index.js", "ignored\n");
}

/** Two runs that create, modify and delete files; the second is auto-committed. */
async function twoRuns(): Promise<void> {
  await run(1, () => {
    write("new.txt", "created by run 1\n");
    write("edit.txt", "edit v2\n");
    rmSync(join(repo.root, "gone.txt"));
  });
  await run(2, () => {
    write("new.txt", "changed by run 2\n");
    write("dir/deep.txt", "created by run 2\n");
    write("node_modules/pkg/built.js", "ignored output of run 2\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "auto-commit of run 2");
  });
}

describe("runDiffBody", () => {
  it("is the contract body of what the run changed; RUN_NOT_FOUND without checkpoints", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    const body = runDiffBodySchema.parse(await runDiffBody(repo.root, 1));
    expect(body.run_id).toBe(1);
    expect(body.before.ref).toBe("refs/car/runs/1/before");
    expect(body.files.map((f) => [f.path, f.status])).toEqual([
      ["edit.txt", "modified"],
      ["gone.txt", "deleted"],
      ["new.txt", "added"],
    ]);
    expect([body.additions, body.deletions]).toEqual([2, 2]);
    expect(body.patch).toContain("+created by run 1");
    expect(body.cut).toBeNull();

    const cut = runDiffBodySchema.parse(await runDiffBody(repo.root, 1, { maxBytes: 10 }));
    expect(cut.patch).toBe("");
    expect(cut.cut?.omitted_files).toHaveLength(3);
    expect(cut.files).toHaveLength(3);

    const err = await runDiffBody(repo.root, 3).catch((e: unknown) => e);
    expect(isCarError(err, "RUN_NOT_FOUND")).toBe(true);
    expect((err as Error).message).toContain("Run 3 has no refs/car/runs/3/before or refs/car/runs/3/after");
  });
});

describe("rollbackRun", () => {
  it("puts every file back to before run 1, keeps the user's edit and ignored files, marks and logs it; undo returns", async () => {
    repo = tempRepo();
    project();
    const beforeRun1 = tree();
    const headBefore = repo.git("rev-parse", "HEAD");
    await twoRuns();
    const afterRun2 = tree();
    const headAfter = repo.git("rev-parse", "HEAD");
    const now = new Date("2026-03-04T05:06:07.890Z");

    const body = rollbackBodySchema.parse(await rollbackRun(repo.root, 1, { now }));
    expect(body.runs_undone).toEqual([1, 2]);
    expect(body.head).toEqual({ branch: "refs/heads/main", from: headAfter, to: headBefore });
    expect(body.undo?.command).toBe("car rollback --undo 2026-03-04T05-06-07.890Z");

    // Exactly as before run 1, file by file; the ignored output of run 2 is untouched.
    expect(tree().filter((l) => !l.startsWith("node_modules/pkg/built.js"))).toEqual(beforeRun1);
    expect(read("keep.txt")).toBe("keep v1 + the user's uncommitted edit\n");
    expect(read("node_modules/pkg/index.js")).toBe("ignored\n");
    expect(read("node_modules/pkg/built.js")).toBe("ignored output of run 2\n");
    expect(repo.git("rev-parse", "HEAD")).toBe(headBefore);
    // The undo ref holds the later state.
    expect(repo.git("show", `${body.undo?.ref}:new.txt`)).toBe("changed by run 2");
    expect(repo.git("show", `${body.undo?.ref}:dir/deep.txt`)).toBe("created by run 2");

    for (const id of [1, 2]) {
      expect((await readRunRecord(paths(), id)).rolled_back).toEqual({
        at: "2026-03-04T05:06:07Z",
        to_before_run: 1,
        undo_command: "car rollback --undo 2026-03-04T05-06-07.890Z",
      });
    }
    // The log: one note outside the run blocks; blocks, the last run id and recovery's view unchanged.
    const log = readFileSync(paths().log, "utf8").trimEnd().split("\n");
    const note = log.at(-1) as string;
    expect(parseLogLine(note, 0).kind).toBe("other");
    expect(note).toMatch(
      /car: rolled back to before run 1 \(undid runs 1, 2\); .*car rollback --undo 2026-03-04T05-06-07\.890Z/,
    );
    const reader = new LogReader(paths().log, paths().logIndex);
    expect(await reader.lastRunId()).toBe(2);
    expect(await reader.readRun(2)).toMatch(/=== run 2 end \(code 0\) ===\n$/);
    expect(existsSync(paths().lock)).toBe(false);

    // Undo: back to after run 2, records unmarked, itself undoable.
    const undone = undoRollbackBodySchema.parse(await undoRollbackRun(repo.root, "2026-03-04T05-06-07.890Z"));
    expect(undone.runs_restored).toEqual([1, 2]);
    expect(undone.undo?.command).toMatch(/^car rollback --undo /);
    expect(tree()).toEqual(afterRun2);
    expect(repo.git("rev-parse", "HEAD")).toBe(headAfter);
    expect((await readRunRecord(paths(), 2)).rolled_back).toBeNull();
    expect(readFileSync(paths().log, "utf8")).toContain(
      "car: undid rollback 2026-03-04T05-06-07.890Z (runs 1, 2 are back)",
    );
  });

  it("skips a missing or corrupt record without failing the rollback", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    rmSync(join(paths().runsDir, "1.json"));
    writeFileSync(join(paths().runsDir, "2.json"), "{ not json");
    const body = await rollbackRun(repo.root, 2);
    expect(body.undo).not.toBeNull();
    expect(existsSync(join(repo.root, "dir/deep.txt"))).toBe(false);
    expect(readFileSync(join(paths().runsDir, "2.json"), "utf8")).toBe("{ not json");
  });

  it("a dry run plans and changes nothing: files, status, index, HEAD, refs, records, log", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    const files = listing(repo.root);
    const git = gitState(repo);
    const refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)");
    const plan = rollbackBodySchema.parse(await rollbackRun(repo.root, 1, { dryRun: true }));
    expect(plan.dry_run).toBe(true);
    expect(plan.undo).toBeNull();
    expect(plan.restore).toEqual(
      expect.arrayContaining([
        { path: "edit.txt", was: "modified" },
        { path: "gone.txt", was: "deleted" },
      ]),
    );
    expect(plan.remove).toEqual(expect.arrayContaining(["new.txt", "dir/deep.txt"]));
    expect(listing(repo.root)).toEqual(files);
    expect(gitState(repo)).toEqual(git);
    expect(repo.git("for-each-ref", "--format=%(refname) %(objectname)")).toBe(refs);
  });

  it("asks with the plan while holding the lock (marked a rollback); declined, nothing changes", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    const files = listing(repo.root);
    const git = gitState(repo);
    const refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)");
    const asked: unknown[] = [];
    const declined = await rollbackRun(repo.root, 1, {
      confirm: async (plan) => {
        asked.push(plan);
        // While the question is open the lock is held, and `kill`/`--force` know it is no runner.
        expect(JSON.parse(readFileSync(paths().lock, "utf8"))).toMatchObject({
          pid: process.pid,
          purpose: "rollback",
        });
        return false;
      },
    });
    expect(asked).toEqual([await rollbackRun(repo.root, 1, { dryRun: true })]);
    expect(declined).toMatchObject({ undo: null, runs_undone: [1, 2] });
    expect(listing(repo.root)).toEqual(files);
    expect(gitState(repo)).toEqual(git);
    expect(repo.git("for-each-ref", "--format=%(refname) %(objectname)")).toBe(refs);
    expect(existsSync(paths().lock)).toBe(false);
    expect((await readRunRecord(paths(), 1))?.rolled_back ?? null).toBeNull();

    // Confirmed: what was shown is what is done.
    let shown: string[] = [];
    const done = await rollbackRun(repo.root, 1, {
      confirm: async (plan) => {
        shown = plan.remove;
        return true;
      },
    });
    expect(done.remove).toEqual(shown);
    expect(done.undo).not.toBeNull();
    expect(existsSync(join(repo.root, "new.txt"))).toBe(false);
  });

  it("is refused while a live runner holds the lock, naming its PID, and changes nothing", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    // A real other process as the runner: the lock names it (its pid and start time), as acquireLock writes it.
    child = spawn("sleep", ["60"], { stdio: "ignore" });
    const pid = child.pid as number;
    writeFileSync(
      paths().lock,
      `${JSON.stringify({ pid, host: hostname(), started_at: new Date().toISOString().slice(0, 19), pid_start: processStartTime(pid), token: "t" })}\n`,
    );
    const files = listing(repo.root);
    const git = gitState(repo);
    const refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)");
    for (const dryRun of [false, true]) {
      const err = await rollbackRun(repo.root, 1, { dryRun }).catch((e: unknown) => e);
      expect(isCarError(err, "LOCK_HELD")).toBe(true);
      expect((err as { details: { pid: number } }).details.pid).toBe(pid);
      expect((err as Error).message).toContain(`PID ${pid}`);
    }
    expect(listing(repo.root)).toEqual(files);
    expect(gitState(repo)).toEqual(git);
    expect(repo.git("for-each-ref", "--format=%(refname) %(objectname)")).toBe(refs);
    expect((await readRunRecord(paths(), 1)).rolled_back).toBeNull();
  });

  it("is refused while a dead runner's agent still lives (found by its run marker), and changes nothing", async () => {
    repo = tempRepo();
    project();
    await twoRuns();
    // No lock: the runner is gone, but a process of its last run (in a session of its own) is not.
    const marker = newRunMarker();
    child = spawn("sleep", ["60"], {
      stdio: "ignore",
      detached: true,
      env: { ...process.env, [RUN_MARKER_ENV]: marker },
    });
    const pid = child.pid as number;
    await new Promise((resolve) => child?.once("spawn", resolve));
    await writeState(paths(), { ...initialState(), last_run_id: 2, agent_marker: marker });
    const files = listing(repo.root);
    const refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)");
    for (const dryRun of [false, true]) {
      const err = await rollbackRun(repo.root, 1, { dryRun }).catch((e: unknown) => e);
      expect(isCarError(err, "LOCK_HELD")).toBe(true);
      expect((err as Error).message).toContain(`the last run's agent is alive (PID ${pid})`);
    }
    expect(listing(repo.root)).toEqual(files);
    expect(repo.git("for-each-ref", "--format=%(refname) %(objectname)")).toBe(refs);
    expect(existsSync(paths().lock)).toBe(false);
  });
});
