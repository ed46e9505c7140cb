import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTempRepo, runCar } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { matchFastPath } from "./fast-path.js";
import { logPath } from "./test-support.js";

const noHelp = new URL("file:///nonexistent/help.txt");

describe("matchFastPath", () => {
  it("takes `car run` / `car once` with --force, --quiet, --repo and leaves everything else to yargs", () => {
    expect(matchFastPath(["run"], noHelp)).toEqual({
      kind: "loop",
      command: "run",
      args: { force: false, quiet: false },
    });
    expect(matchFastPath(["once", "--quiet", "--repo=/x", "--force"], noHelp)).toEqual({
      kind: "loop",
      command: "once",
      args: { force: true, quiet: true, repo: "/x" },
    });
    for (const argv of [
      ["run", "--max-runs", "2"], // yargs checks it
      ["run", "--force", "--force"],
      ["run", "--no-quiet"],
      ["run", "--quiet=true"],
      ["run", "--help"],
      ["once", "extra"],
      ["run", "--repo"],
      ["run", "--quiet", "--quiet"],
      ["once", "--repo", "a", "--repo=b"],
      ["run", "--repo="],
      ["resume"],
    ]) {
      expect(matchFastPath(argv, noHelp), argv.join(" ")).toBeNull();
    }
  });

  it("takes the plain spellings of `car log` and leaves everything else to yargs", () => {
    expect(matchFastPath(["log"], noHelp)).toEqual({ kind: "log", args: { follow: false } });
    expect(matchFastPath(["log", "--run", "12", "-f", "--repo=/x"], noHelp)).toEqual({
      kind: "log",
      args: { run: 12, follow: true, repo: "/x" },
    });
    expect(matchFastPath(["log", "--tail=0", "--repo", "r", "--follow"], noHelp)).toEqual({
      kind: "log",
      args: { tail: 0, repo: "r", follow: true },
    });
    for (const argv of [
      ["log", "--run", "0"], // fails the command's check: yargs reports it
      ["log", "--run", "1.5"],
      ["log", "--run", "-1"],
      ["log", "--run", "03"],
      ["log", "--tail", "x"],
      ["log", "--run", "1", "--tail", "2"], // conflicting options
      ["log", "--run", "1", "--run", "2"],
      ["log", "--follow", "--follow"],
      ["log", "--no-follow"],
      ["log", "--repo"],
      ["log", "--repo", "--run"],
      ["log", "--repo="],
      ["log", "--help"],
      ["log", "extra"],
      ["log", "-fx"],
      ["log", "--"],
    ]) {
      expect(matchFastPath(argv, noHelp), argv.join(" ")).toBeNull();
    }
  });
});

describe("`car log` through the fast path and through yargs (built bin)", () => {
  it("prints the same bytes, errors and exit codes", async () => {
    const repo = makeTempRepo();
    const elsewhere = mkdtempSync(join(tmpdir(), "car-nolog-"));
    try {
      let log = "";
      for (let id = 1; id <= 3; id++) {
        log += `=== run ${id} start ===\n[2026-01-01T00:00:00Z] run=${id} stdout: line of run ${id} ✓\n`;
        log += `=== run ${id} end (code ${id === 2 ? 1 : 0}) ===\n`;
      }
      writeFileSync(logPath(repo.root), log);
      const cases: Array<{ fast: string[]; cwd?: string }> = [
        { fast: ["log"] },
        { fast: ["log", "--run", "2"] },
        { fast: ["log", "--run=1"] },
        { fast: ["log", "--run", "9"] }, // not in the log: exit 1 with a hint
        { fast: ["log", "--tail", "3"] },
        { fast: ["log", "--tail=0"] },
        { fast: ["log", "--tail", "100", `--repo=${repo.root}`], cwd: tmpdir() },
        { fast: ["log", "--repo", join(repo.root, "nope")] }, // no such directory: exit 2
        { fast: ["log"], cwd: elsewhere }, // not a git repo: exit 1
      ];
      for (const c of cases) {
        const opts = { cwd: c.cwd ?? repo.root };
        const fast = await runCar(c.fast, opts);
        // `--no-follow` is not a fast-path spelling: the same command parsed by yargs.
        const slow = await runCar([...c.fast, "--no-follow"], opts);
        const what = c.fast.join(" ");
        expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }, what).toEqual({
          code: slow.code,
          stdout: slow.stdout,
          stderr: slow.stderr,
        });
      }
      const run2 = await runCar(["log", "--run", "2"], { cwd: repo.root });
      expect(run2.stdout).toBe(
        "=== run 2 start ===\n[2026-01-01T00:00:00Z] run=2 stdout: line of run 2 ✓\n=== run 2 end (code 1) ===\n",
      );
      const missing = await runCar(["log", "--run", "9"], { cwd: repo.root });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("runs go up to 3");
    } finally {
      repo.cleanup();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("`car run` through the fast path and through yargs (built bin)", () => {
  it("does the same work with the same output and exit code", async () => {
    const results = [];
    // `--no-force` is not a fast-path spelling: the same command parsed by yargs.
    for (const argv of [
      ["run", "--quiet"],
      ["run", "--quiet", "--no-force"],
    ]) {
      const repo = makeTempRepo({ todo: ["one", "two"] });
      try {
        const r = await runCar(argv, { cwd: repo.root });
        const todo = readFileSync(join(repo.dir, "TODO.md"), "utf8");
        // Paths and times differ between the two repos; what was done and said must not.
        const norm = (t: string) =>
          t
            .replaceAll(repo.root, "<repo>")
            .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<ts>")
            .replace(/\d+(\.\d+)? ?m?s\b/g, "<t>")
            .replace(/pid=\d+/g, "pid=<n>");
        results.push({ code: r.code, stdout: norm(r.stdout), stderr: norm(r.stderr), todo });
      } finally {
        repo.cleanup();
      }
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.code).toBe(0);
    expect(results[0]?.todo).toContain("- [x] two");
  });
});
