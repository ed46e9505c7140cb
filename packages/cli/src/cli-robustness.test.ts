// Robustness of the built CLI in the situations of an incident: a hook that refuses the commit, a
// token in a tracked config, runtime files of the wrong kind, agent output that tries to drive the
// terminal, a broken config.yml. Each runs the BUILT bin with the stand-in agent in a temp git repo.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempRepo, runCar, spawnCar, type TempRepo, waitFor } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { logPath, readLog } from "./test-support.js";

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

const git = (root: string, ...args: string[]) =>
  execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
const both = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe("auto-commit failures and secrets (built bin)", () => {
  it("a pre-commit hook that refuses: car run stops after that run, exit 1, git's words said once", async () => {
    repo = makeTempRepo({ config: { git: { auto_commit: true } } });
    const hooks = join(repo.root, ".git", "hooks");
    mkdirSync(hooks, { recursive: true });
    writeFileSync(join(hooks, "pre-commit"), "#!/bin/sh\necho 'lint says no' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const r = await runCar(["run"], { cwd: repo.root, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "car: the auto-commit failed: run 1's changes are not committed; see `car log --run 1` (1 run, last run 1)",
    );
    expect(count(both(r), "lint says no")).toBe(1);
    expect(both(r)).not.toContain("git commit failed: git commit failed");
    expect(both(r)).not.toContain("internal error");
    const log = readLog(repo.root);
    expect(count(log, "lint says no")).toBe(1);
    expect(log).not.toContain("=== run 2 start ===");
    const status = await runCar(["status", "--json"], { cwd: repo.root });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: "error" });
  });

  it("a tracked config.yml holding server.auth_token is left out of the commit; doctor warns", async () => {
    repo = makeTempRepo({ config: { git: { auto_commit: true } } });
    const root = repo.root;
    git(root, "add", "-A");
    git(root, "commit", "--quiet", "-m", "init");
    const configFile = join(repo.dir, "config.yml");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    config.server = { auth_token: "0123456789abcdef0123" };
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

    const r = await runCar(["run", "--max-runs", "1"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "[car] left .codex-autorunner/config.yml out of the commit: it holds server.auth_token",
    );
    const stat = git(root, "show", "--stat", "--format=%s", "HEAD");
    expect(stat).toContain("[codex] run #1");
    expect(stat).toContain("TODO.md");
    expect(stat).not.toContain("config.yml");
    expect(git(root, "log", "-p", "--all")).not.toContain("0123456789abcdef0123");
    expect(git(root, "status", "--porcelain", "--", ".codex-autorunner/config.yml")).toBe(
      "M .codex-autorunner/config.yml",
    );

    const doctor = await runCar(["doctor"], { cwd: root });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(
      /^warn {2}config secrets +\.codex-autorunner\/config\.yml is tracked by git and holds server\.auth_token/m,
    );
    expect(doctor.stdout).toContain("car: all checks passed (1 warning)");
    expect(both(doctor)).not.toContain("0123456789abcdef0123");
  });
});

describe("runtime files of the wrong kind (built bin)", () => {
  it("state.json as a folder: status and run exit 1 naming it, never an internal error", async () => {
    repo = makeTempRepo();
    mkdirSync(join(repo.dir, "state.json"));
    for (const args of [["status"], ["status", "--json"], ["run"]]) {
      const r = await runCar(args, { cwd: repo.root });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain(
        "car: Could not read .codex-autorunner/state.json: it is a folder, not a file; move it out of the way (EISDIR).",
      );
      expect(r.stderr).not.toMatch(/internal error|INTERNAL/);
    }
  });

  it("runs as a file: car run exits 1 naming it", async () => {
    repo = makeTempRepo();
    writeFileSync(join(repo.dir, "runs"), "not a folder\n");
    const r = await runCar(["run"], { cwd: repo.root });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^car: Could not create the folder \.codex-autorunner\/runs: a file is in the way where a folder belongs/m,
    );
    expect(r.stderr).not.toMatch(/internal error|INTERNAL/);
  });
});

describe("terminal safety (built bin)", () => {
  // The stand-in prints the item it ticks: this one carries a window-title OSC and a screen clear.
  const EVIL = "pwn \x1b]0;pwned\x07 then \x1b[2J cleared \x9b31m";

  it("car run, car log and car log --follow show escape sequences instead of sending them", async () => {
    repo = makeTempRepo({ todo: [EVIL, "second"] });
    const run = await runCar(["run", "--max-runs", "1"], { cwd: repo.root });
    expect(run.code).toBe(0);
    // The log keeps the agent's bytes as they were; only what reaches a terminal is made safe.
    expect(readLog(repo.root)).toContain("ticked: pwn \x1b]0;pwned\x07 then \x1b[2J");
    expect(run.stdout).toContain("ticked: pwn \u241b]0;pwned\u2407 then \u241b[2J cleared \\u009b31m");
    expect(run.stderr).toContain("working on: pwn \u241b]0;pwned");

    const log = await runCar(["log"], { cwd: repo.root });
    expect(log.code).toBe(0);
    expect(log.stdout).toContain("ticked: pwn \u241b]0;pwned\u2407 then \u241b[2J");
    for (const out of [run.stdout, run.stderr, log.stdout]) {
      expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    }

    const follow = spawnCar(["log", "--follow"], { cwd: repo.root });
    try {
      await waitFor(() => follow.stdout().includes("=== run 1 end"), { what: "the last run's block" });
      appendFileSync(
        logPath(repo.root),
        "[2026-01-01T00:00:00Z] run=1 stdout: late \x1b]52;c;Ym9vbQ==\x07 line\n",
      );
      await waitFor(() => follow.stdout().includes("late"), { what: "the appended line through --follow" });
    } finally {
      follow.child.kill("SIGINT");
    }
    const followed = await follow.exited;
    expect(followed.stdout).toContain("late \u241b]52;c;Ym9vbQ==\u2407 line");
    expect(followed.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });
});

describe("a broken config.yml during an incident (built bin)", () => {
  it("car status and car log still show the state and the log, plus the config error", async () => {
    repo = makeTempRepo();
    expect((await runCar(["run", "--max-runs", "1"], { cwd: repo.root })).code).toBe(0);
    appendFileSync(join(repo.dir, "config.yml"), "runner: [oops\n");

    // status: the report, then the config error; exit 1 as for any bad config.
    const status = await runCar(["status"], { cwd: repo.root });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^config: +broken: see the error below$/m);
    expect(status.stdout).toMatch(/^last run: +#1 exit 0 \(completed\)/m);
    expect(status.stderr).toMatch(/^car: \.codex-autorunner\/config\.yml: malformed YAML at line \d+/);

    const json = await runCar(["status", "--json"], { cwd: repo.root });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report.config_error).toMatch(/^\.codex-autorunner\/config\.yml: malformed YAML at line \d+/);
    expect(report).toMatchObject({ last_run_id: 1, last_exit_code: 0 });
    expect(json.stderr).toContain("malformed YAML");

    // log: the log is what was asked for, so exit 0; the config error is on stderr.
    // Through the fast path and through yargs (which the fast path leaves `--no-follow` to).
    for (const args of [["log"], ["log", "--run", "1", "--no-follow"]]) {
      const log = await runCar(args, { cwd: repo.root });
      expect(log.code, args.join(" ")).toBe(0);
      expect(log.stdout).toContain("=== run 1 start ===");
      expect(log.stdout).toContain("ticked: first task");
      expect(log.stderr).toMatch(/^car: \.codex-autorunner\/config\.yml: malformed YAML at line \d+/);
    }

    // Commands that need the config still refuse, with the same error.
    const run = await runCar(["run"], { cwd: repo.root });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("malformed YAML");
  });
});

describe("the no-progress stop (built bin)", () => {
  it("says 'no progress' once in car run's output and once in the log", async () => {
    repo = makeTempRepo();
    const r = await runCar(["run"], { cwd: repo.root, env: { STAND_IN_MODE: "noop" } });
    expect(r.code).toBe(1);
    expect(count(both(r), "no progress")).toBe(1);
    expect(r.stderr).toContain(
      "car: no progress: 3 runs in a row changed neither the TODO nor the work tree (3 runs, last run 3)",
    );
    expect(count(readLog(repo.root), "no progress")).toBe(1);
  });
});
