import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rollbackBodySchema, runDiffBodySchema, undoRollbackBodySchema } from "@codex-autorunner/core";
import { carPaths, LogWriter, takeCheckpoint } from "@codex-autorunner/core/node";
import {
  carBinPath,
  makeTempRepo,
  runCar,
  runCarOnTty,
  spawnCar,
  type TempRepo,
  waitFor,
} from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { killQuietly, readLog } from "./test-support.js";

// Issue 12's commands through the BUILT bin: car verify, car diff, car rollback, and status's verdict.

let repo: TempRepo | null = null;
const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) killQuietly(pid);
  repo?.cleanup();
  repo = null;
});

const git = (root: string, ...args: string[]) =>
  execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const write = (root: string, path: string, text: string) => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
};

/** Every file outside .git and the runner's own files, with its content's hash: equal = same work tree. */
function files(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === ".git" || /^\.codex-autorunner\/(runs|.*\.log|.*\.idx|lock|state\.json)/.test(path))
        continue;
      const full = join(root, path);
      if (lstatSync(full).isDirectory()) walk(path);
      else out.push(`${path} ${createHash("sha256").update(readFileSync(full)).digest("hex")}`);
    }
  };
  walk("");
  return out;
}

/** A committed project with two checkpointed runs in the log: run 1 edits and creates, run 2 deletes. */
async function twoRuns(root: string): Promise<void> {
  write(root, "app.txt", "app v1\n");
  write(root, "old.txt", "old\n");
  git(root, "add", "-A");
  git(root, "commit", "-qm", "project");
  const paths = carPaths(root);
  const w = await LogWriter.open(paths.log, paths.logIndex);
  const run = async (id: number, work: () => void) => {
    await w.startRun(id);
    await takeCheckpoint(root, id, "before");
    work();
    await takeCheckpoint(root, id, "after");
    await w.endRun(id, 0);
  };
  await run(1, () => {
    write(root, "app.txt", "app v2\n");
    write(root, "new.txt", "new in run 1\n");
  });
  await run(2, () => rmSync(join(root, "old.txt")));
  await w.close();
}

describe("car verify (built bin)", () => {
  it("prints each result and a verdict; exit 0 when all pass, 1 on a failure; terminal-safe", async () => {
    repo = makeTempRepo({
      config: {
        verify: {
          commands: [
            { name: "first", run: "echo first output; echo to stderr >&2" },
            { name: "second", run: "printf 'evil \\033]0;title\\007 done\\n'" },
          ],
        },
      },
    });
    const ok = await runCar(["verify"], { cwd: repo.root });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("first output");
    expect(ok.stderr).toContain("to stderr");
    expect(ok.stdout).toMatch(/✓ first passed in \d+ ms/);
    expect(ok.stdout).toContain("car: verification passed (2 commands)");
    expect(ok.stdout).toContain("evil ␛]0;title␇ done");
    expect(ok.stdout).not.toContain("\x1b");

    repo.cleanup();
    repo = makeTempRepo({
      config: {
        verify: {
          commands: [
            { name: "test", run: "echo failing test; exit 3" },
            { name: "lint", run: "echo lint ran" },
          ],
        },
      },
    });
    const bad = await runCar(["verify"], { cwd: repo.root });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("failing test");
    expect(bad.stdout).toMatch(/✗ test FAILED \(exit code 3\) after/);
    expect(bad.stdout).not.toContain("lint ran");
    expect(bad.stderr).toContain("car: verification FAILED: test (1 later command not run)");
  });

  it("says so and exits 0 when no commands are configured", async () => {
    repo = makeTempRepo();
    const r = await runCar(["verify"], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no verify commands are configured");
  });

  it("Ctrl-C ends the command's processes", async () => {
    repo = makeTempRepo({
      config: { verify: { commands: [{ name: "slow", run: "echo started; sleep 73.25 & wait" }] } },
    });
    const car = spawnCar(["verify"], { cwd: repo.root, timeoutMs: 60_000 });
    pids.push(car.pid);
    await waitFor(() => car.stdout().includes("started"), {
      timeoutMs: 20_000,
      what: "the command's output",
    });
    // The shell starts the sleep after its echo: wait until it is there.
    const sleeper = await waitFor(
      () => Number(spawnSync("pgrep", ["-f", "-n", "^sleep 73.25$"], { encoding: "utf8" }).stdout.trim()),
      { timeoutMs: 20_000, what: "the command's sleep" },
    );
    pids.push(sleeper);
    process.kill(car.pid, "SIGINT");
    const r = await car.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("verification interrupted");
    await waitFor(
      () =>
        !existsSync(`/proc/${sleeper}`) ||
        readFileSync(`/proc/${sleeper}/stat`, "utf8").split(" ")[2] === "Z",
      {
        timeoutMs: 20_000,
        what: "the command's sleep to end",
      },
    );
  });
});

describe("car diff (built bin)", () => {
  it("--json prints the contract body; --stat the files; default the patch; unknown runs exit 1", async () => {
    repo = makeTempRepo();
    await twoRuns(repo.root);
    const json = await runCar(["diff", "1", "--json"], { cwd: repo.root });
    expect(json.code).toBe(0);
    const body = runDiffBodySchema.parse(JSON.parse(json.stdout));
    expect(body.files.map((f) => `${f.status} ${f.path}`)).toEqual(["modified app.txt", "added new.txt"]);

    const stat = await runCar(["diff", "1", "--stat"], { cwd: repo.root });
    expect(stat.stdout).toBe("M app.txt  +1 -1\nA new.txt  +1 -0\n2 files changed, +2 -1\n");

    const patch = await runCar(["diff", "1"], { cwd: repo.root });
    expect(patch.stdout).toContain("2 files changed");
    expect(patch.stdout).toContain("-app v1\n+app v2\n");

    const unknown = await runCar(["diff", "9"], { cwd: repo.root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("car: run 9 does not exist (runs go up to 2)");

    // A run in the log without checkpoints (git.checkpoints off then).
    const paths = carPaths(repo.root);
    const w = await LogWriter.open(paths.log, paths.logIndex);
    await w.startRun(3);
    await w.endRun(3, 0);
    await w.close();
    const none = await runCar(["diff", "3"], { cwd: repo.root });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("Run 3 has no refs/car/runs/3/before or refs/car/runs/3/after checkpoint");

    const bad = await runCar(["diff", "zero"], { cwd: repo.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("car: <run> must be a run number ≥ 1\n");
  });
});

describe("car rollback (built bin)", () => {
  it("without a terminal needs --yes (exit 2, nothing changed); --dry-run changes nothing; --yes rolls back; --undo returns", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    await twoRuns(root);
    const after = files(root);
    const refs = git(root, "for-each-ref");

    const refused = await runCar(["rollback", "1"], { cwd: root });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    const dry = await runCar(["rollback", "1", "--dry-run"], { cwd: root });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("undoing runs 1, 2");
    expect(dry.stdout).toMatch(/restore\s+old\.txt \(deleted since\)/);
    expect(dry.stdout).toMatch(/remove\s+new\.txt/);
    expect(files(root)).toEqual(after);
    expect(git(root, "for-each-ref")).toBe(refs);

    const done = await runCar(["rollback", "1", "--yes"], { cwd: root });
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    const stamp = /undo with: car rollback --undo (\S+)/.exec(done.stdout)?.[1];
    expect(stamp).toBeDefined();
    expect(readFileSync(join(root, "app.txt"), "utf8")).toBe("app v1\n");
    expect(readFileSync(join(root, "old.txt"), "utf8")).toBe("old\n");
    expect(existsSync(join(root, "new.txt"))).toBe(false);
    expect(readLog(root)).toContain(`car: rolled back to before run 1 (undid runs 1, 2)`);

    const undone = await runCar(["rollback", "--undo", stamp as string, "--yes", "--json"], { cwd: root });
    expect(undone.code).toBe(0);
    expect(undoRollbackBodySchema.parse(JSON.parse(undone.stdout)).stamp).toBe(stamp);
    expect(files(root)).toEqual(after);

    const json = await runCar(["rollback", "2", "--dry-run", "--json"], { cwd: root });
    expect(rollbackBodySchema.parse(JSON.parse(json.stdout)).remove).toEqual([]);
  });

  it("on a terminal lists what will change and asks; no keeps everything, yes rolls back", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    await twoRuns(root);
    const after = files(root);
    // A real pseudo-terminal (util-linux `script`), answering the question on it.
    const onTty = (answer: string) => runCarOnTty(["rollback", "1"], { cwd: root, input: `${answer}\n` });
    const no = onTty("n");
    expect(no.output).toMatch(/restore\s+old\.txt \(deleted since\)/);
    expect(no.output).toMatch(/remove\s+new\.txt/);
    expect(no.output).toContain("Roll back?");
    expect(no.output).toContain("car: nothing changed");
    expect(no.code).toBe(1);
    expect(files(root)).toEqual(after);

    // Ctrl-C at the question (sent once it is asked): nothing changed, exit 130, no internal error.
    const ctrlC = spawn("script", ["-qfec", `${process.execPath} ${carBinPath()} rollback 1`, "/dev/null"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
    });
    pids.push(ctrlC.pid as number);
    let seen = "";
    ctrlC.stdout.on("data", (d: Buffer) => {
      seen += d.toString();
    });
    const interrupted = new Promise<number | null>((resolve) => ctrlC.on("exit", resolve));
    await waitFor(() => seen.includes("Roll back?"), { timeoutMs: 20_000, what: "the question" });
    ctrlC.stdin.write("\x03");
    expect(await interrupted).toBe(130);
    expect(seen).toContain("car: nothing changed");
    expect(seen).not.toContain("internal error");
    expect(files(root)).toEqual(after);

    const yes = onTty("y");
    expect(yes.code).toBe(0);
    expect(yes.output).toMatch(/undo with: car rollback --undo \S+/);
    expect(existsSync(join(root, "new.txt"))).toBe(false);
  });

  it("is refused while a runner is alive: exit 1 naming its PID, nothing changed", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    await twoRuns(root);
    const before = files(root);
    // A real `car run` whose agent sleeps: run 3 in flight, the runner holds the lock.
    const car = spawnCar(["run"], {
      cwd: root,
      env: { STAND_IN_MODE: "sleep", STAND_IN_SLEEP_MS: "60000" },
      timeoutMs: 120_000,
    });
    pids.push(car.pid);
    await waitFor(() => readLog(root).includes("run=3 stdout: heartbeat"), {
      timeoutMs: 30_000,
      what: "run 3's agent to print",
    });
    const refs = git(root, "for-each-ref", "refs/car/rollbacks");
    const r = await runCar(["rollback", "1", "--yes"], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`PID ${car.pid}`);
    expect(r.stderr).not.toContain("--force");
    expect(files(root).filter((f) => !f.startsWith(".codex-autorunner/"))).toEqual(
      before.filter((f) => !f.startsWith(".codex-autorunner/")),
    );
    expect(git(root, "for-each-ref", "refs/car/rollbacks")).toBe(refs);
  });
});

describe("car status (built bin)", () => {
  it("shows the last verification's verdict", async () => {
    repo = makeTempRepo();
    const state = join(repo.dir, "state.json");
    const base = {
      last_run_id: 5,
      status: "idle",
      last_exit_code: 0,
      last_run_started_at: null,
      last_run_finished_at: null,
      runner_pid: null,
    };
    const verdict = {
      run_id: 5,
      passed: false,
      failed_command: "test",
      consecutive_failures: 2,
      at: "2026-01-01T00:00:00Z",
    };
    writeFileSync(state, JSON.stringify({ ...base, last_verify: verdict }));
    const failed = await runCar(["status"], { cwd: repo.root });
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(/^verify:\s+FAILED test \(run 5, 2 in a row\)$/m);
    writeFileSync(
      state,
      JSON.stringify({
        ...base,
        last_verify: { ...verdict, passed: true, failed_command: null, consecutive_failures: 0 },
      }),
    );
    expect((await runCar(["status"], { cwd: repo.root })).stdout).toMatch(/^verify:\s+passed \(run 5\)$/m);
    writeFileSync(state, JSON.stringify({ ...base, last_verify: { ...verdict, failed_command: null } }));
    expect((await runCar(["status"], { cwd: repo.root })).stdout).toMatch(
      /^verify:\s+not verified \(run 5 was interrupted during verification\)$/m,
    );
  });

  it("shows a usage-limit wait a dead runner left, and the last failed notification", async () => {
    repo = makeTempRepo();
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const at = "2026-01-01T00:00:00.000Z";
    writeFileSync(
      join(repo.dir, "state.json"),
      JSON.stringify({
        last_run_id: 2,
        status: "waiting",
        last_exit_code: null,
        last_run_started_at: null,
        last_run_finished_at: null,
        runner_pid: null,
        waiting: { reason: "rate_limit", until, since: at, message: "usage limit reached" },
        notify_error: { target: "webhook[0]", event: "waiting", error: "HTTP 500", at },
      }),
    );
    const r = await runCar(["status"], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^waiting:\s+rate limit until .+: `car resume` waits out the rest$/m);
    expect(r.stdout).toMatch(/^limit:\s+usage limit reached$/m);
    expect(r.stdout).toContain(`notify:     webhook[0] (waiting): HTTP 500 at ${at}`);
  });
});
