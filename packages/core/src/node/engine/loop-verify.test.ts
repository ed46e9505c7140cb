import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../types.js";
import { isProcessAlive } from "../proc/procfs.js";
import { readRunRecord } from "../runs-store.js";
import { readState } from "../state-store.js";
import { runLoop } from "./loop.js";
import { agentEnv, readText, useTestRepos, waitFor, writeConfig } from "./test-fixtures.js";

/** The loop with verification gates and checkpoints (issue 12), with the stand-in agent and real git. */

const makeRepo = useTestRepos();

const git = (root: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
  }).trim();

function verifyYaml(commands: string, extra = ""): string {
  return `git:\n  auto_commit: true\nverify:\n  commands:\n${commands}${extra}`;
}

const failing = `    - {name: test, run: "echo failing output line; echo on stderr >&2; exit 3"}\n`;
const passing = `    - {name: check, run: "test -f .codex-autorunner/TODO.md && echo ok"}\n`;

const setup = (extraYaml: string, todo?: string) =>
  makeRepo({ extraYaml, ...(todo !== undefined ? { todo } : {}) });

describe("runLoop with verify.commands", () => {
  it("reopens what a failing run ticked, skips its commit, tells the next run, stops after max_consecutive_failures", async () => {
    const { repo, paths } = await setup(verifyYaml(failing, "  max_consecutive_failures: 2\n"));
    const todoBefore = await readText(paths.todo);
    const result = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(result).toMatchObject({ reason: "verify_failed", runs: 2, lastRunId: 2 });
    expect(result.detail).toBe("verification failed 2 runs in a row (last: test: exit code 3)");

    // Exactly the ticked item was unticked each time: the TODO is byte for byte what it was.
    expect(await readText(paths.todo)).toBe(todoBefore);
    // No auto-commit for a failing run.
    expect(git(repo.root, "rev-list", "--count", "HEAD")).toBe("1");

    const r1 = (await readRunRecord(paths, 1)) as RunRecord;
    expect(r1.outcome).toBe("completed");
    expect(r1.commit).toBeNull();
    expect(r1.verify).toMatchObject({
      passed: false,
      failed_command: "test",
      aborted: false,
      reopened: [{ text: "first item", line: 3, added: false }],
    });
    expect(r1.verify?.commands[0]).toMatchObject({
      name: "test",
      exit_code: 3,
      passed: false,
      timed_out: false,
    });
    expect(r1.verify?.commands[0]?.output_tail).toContain("failing output line");
    expect(r1.verify?.commands[0]?.output_tail).toContain("on stderr");

    const prompt1 = await readText(join(repo.side, "prompt-1.txt"));
    const prompt2 = await readText(join(repo.side, "prompt-2.txt"));
    expect(prompt1).not.toContain("<VERIFY_FAILED>");
    expect(prompt2).toContain("<VERIFY_FAILED>");
    expect(prompt2).toContain("Result: exit code 3");
    expect(prompt2).toContain("failing output line");
    expect(prompt2).toContain("- first item");
    // Run 2 saw the item open again.
    expect(prompt2).toContain("- [ ] first item");

    const log = await readText(paths.log);
    const block1 = log.slice(log.indexOf("=== run 1 start ==="), log.indexOf("=== run 1 end"));
    expect(block1).toMatch(/run=1 stdout: \[car\] verify test: running `echo failing output line;/);
    expect(block1).toMatch(/run=1 stdout: \[verify test\] failing output line$/m);
    expect(block1).toMatch(/run=1 stderr: \[car\] verify test: FAILED \(exit code 3\)/);
    expect(block1).toMatch(/run=1 stderr: \[car\] verify: reopened 1 item in .*TODO\.md: first item/);
    expect(block1).toContain("[car] no commit for run 1: its verification failed");

    const state = await readState(paths);
    expect(state.status).toBe("error");
    expect(state.reason).toBe(result.detail);
    expect(state.last_verify).toMatchObject({
      run_id: 2,
      passed: false,
      failed_command: "test",
      consecutive_failures: 2,
    });
  });

  it("commits verified runs and ends todo_done once the last verification passed", async () => {
    const { repo, paths } = await setup(verifyYaml(passing));
    const result = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(result).toMatchObject({ reason: "todo_done", runs: 3 });
    expect(git(repo.root, "rev-list", "--count", "HEAD")).toBe("4");
    const r3 = (await readRunRecord(paths, 3)) as RunRecord;
    expect(r3.verify).toMatchObject({ passed: true, failed_command: null, reopened: [] });
    expect(r3.verify?.commands).toHaveLength(1);
    expect(r3.commit?.ok).toBe(true);
    expect((await readState(paths)).last_verify).toMatchObject({
      run_id: 3,
      passed: true,
      consecutive_failures: 0,
    });
  });

  it("on_fail stop: stops at once; with nothing outstanding it is not done until a verification passes", async () => {
    const stop = "  on_fail: stop\n";
    const { repo, paths } = await setup(verifyYaml(failing, stop), "# TODO\n\n- [ ] only item\n");
    const first = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(first).toMatchObject({ reason: "verify_failed", runs: 1 });
    // stop leaves the TODO as the agent left it.
    expect(await readText(paths.todo)).toContain("- [x] only item");

    // Every item is ticked, but the last verification failed: the loop runs again, to fix it.
    const again = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(again).toMatchObject({ reason: "verify_failed", runs: 1, lastRunId: 2 });
    expect(await readText(join(repo.side, "prompt-2.txt"))).toContain("<VERIFY_FAILED>");

    await writeConfig(repo.root, repo.agent, { extraYaml: verifyYaml(passing, stop) });
    const fixed = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(fixed).toMatchObject({ reason: "todo_done", runs: 1, lastRunId: 3 });
    expect((await readState(paths)).last_verify).toMatchObject({ run_id: 3, passed: true });
    const done = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(done).toMatchObject({ reason: "todo_done", runs: 0 });
  });

  it("a TODO edit made while the commands run wins over the reopen (the user's tick is kept)", async () => {
    // The command stands in for a user ticking "second item" in the UI while the tests run.
    const userTick = `    - {name: test, run: "sed -i 's/. . second item/[x] second item/' .codex-autorunner/TODO.md; exit 1"}\n`;
    const todo = "# TODO\n\n- [ ] first item\n- [ ] second item\n";
    const { repo, paths } = await setup(verifyYaml(userTick, "  max_consecutive_failures: 1\n"), todo);
    const result = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(result).toMatchObject({ reason: "verify_failed", runs: 1 });
    expect(await readText(paths.todo)).toBe("# TODO\n\n- [x] first item\n- [x] second item\n");
    const r1 = (await readRunRecord(paths, 1)) as RunRecord;
    expect(r1.verify).toMatchObject({ passed: false, reopened: [] });
    expect(await readText(paths.log)).toMatch(/run=1 stderr: \[car\] verify: left .*TODO\.md as it is: /);
  });

  it("an abort during verification ends the command's processes; no verdict, no commit, not done", async () => {
    const cmd = `    - {name: slow, run: "echo $$ > '__SIDE__/verify.pid'; sleep 30"}\n`;
    const { repo, paths } = await setup(verifyYaml(cmd), "# TODO\n\n- [ ] only item\n");
    await writeConfig(repo.root, repo.agent, {
      extraYaml: verifyYaml(cmd.replace("__SIDE__", repo.side)),
    });
    const controller = new AbortController();
    const pidFile = join(repo.side, "verify.pid");
    const loop = runLoop({ root: repo.root, env: agentEnv(repo), signal: controller.signal });
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
      "verify to start",
    );
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    // state.agent_pid names the command's group, so `car kill` ends it.
    await waitFor(
      async () => (await readState(paths)).agent_pid === pid,
      "agent_pid to name the verify shell",
    );
    controller.abort("SIGTERM");
    const result = await loop;
    expect(result.reason).toBe("aborted");
    await waitFor(() => !isProcessAlive(pid), "the verify shell to end", 10_000);
    const r1 = (await readRunRecord(paths, 1)) as RunRecord;
    expect(r1.verify).toMatchObject({ aborted: true, passed: false });
    expect(r1.commit).toBeNull();
    expect(git(repo.root, "rev-list", "--count", "HEAD")).toBe("1");
    const state = await readState(paths);
    expect(state).toMatchObject({ status: "error", reason: "killed by SIGTERM" });
    // Not verified: the agent's tick does not make the loop done.
    expect(state.last_verify).toMatchObject({ run_id: 1, passed: false, failed_command: null });
    expect(await readText(paths.todo)).toContain("- [x] only item");
    await writeConfig(repo.root, repo.agent, { extraYaml: verifyYaml(passing) });
    const next = await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(next).toMatchObject({ reason: "todo_done", runs: 1, lastRunId: 2 });
    // The interrupted verification is no failure to tell the agent about.
    expect(await readText(join(repo.side, "prompt-2.txt"))).not.toContain("<VERIFY_FAILED>");
    expect((await readState(paths)).last_verify).toMatchObject({ run_id: 2, passed: true });
  });
});

describe("runLoop checkpoints", () => {
  it("records before/after refs and the changes of every run; HEAD, the index and the stash are untouched", async () => {
    const { repo, paths } = await setup("");
    const indexHash = () =>
      createHash("sha256")
        .update(readFileSync(join(repo.root, ".git/index")))
        .digest("hex");
    const head = git(repo.root, "rev-parse", "HEAD");
    const index = indexHash();
    const result = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_WRITE: join(repo.root, "notes.txt") }),
    });
    expect(result).toMatchObject({ reason: "todo_done", runs: 3 });
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);
    expect(indexHash()).toBe(index);
    expect(git(repo.root, "stash", "list")).toBe("");
    expect(git(repo.root, "branch", "--list")).toBe("* master");

    const refs = git(repo.root, "for-each-ref", "--format=%(refname)", "refs/car/").split("\n");
    for (const id of [1, 2, 3])
      for (const phase of ["before", "after"]) expect(refs).toContain(`refs/car/runs/${id}/${phase}`);

    const r1 = (await readRunRecord(paths, 1)) as RunRecord;
    expect(r1.checkpoints?.before?.commit).toBe(git(repo.root, "rev-parse", "refs/car/runs/1/before"));
    expect(r1.checkpoints?.after?.commit).toBe(git(repo.root, "rev-parse", "refs/car/runs/1/after"));
    expect(r1.checkpoints?.before?.head).toBe(head);
    expect(r1.checkpoints?.changes).toEqual({
      files: [
        { path: ".codex-autorunner/TODO.md", status: "modified", additions: 1, deletions: 1, binary: false },
        { path: "notes.txt", status: "added", additions: 1, deletions: 0, binary: false },
      ],
      files_omitted: 0,
      files_total: 2,
      additions: 2,
      deletions: 1,
    });
    // Run 2 starts where run 1 ended.
    const r2 = (await readRunRecord(paths, 2)) as RunRecord;
    expect(r2.checkpoints?.before?.commit).not.toBe(r1.checkpoints?.after?.commit); // a new commit object…
    expect(git(repo.root, "rev-parse", "refs/car/runs/2/before^{tree}")).toBe(
      git(repo.root, "rev-parse", "refs/car/runs/1/after^{tree}"),
    ); // …of the same tree
    expect(r2.checkpoints?.changes?.files.map((f) => f.path)).toEqual([
      ".codex-autorunner/TODO.md",
      "notes.txt",
    ]);
  });

  it("git.checkpoints false takes none; no_progress still works from the work tree's fingerprint", async () => {
    const { repo, paths } = await setup("git:\n  checkpoints: false\n");
    await writeConfig(repo.root, repo.agent, {
      runner: "  no_progress_runs: 2",
      extraYaml: "git:\n  checkpoints: false\n",
    });
    const result = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "noop" }) });
    expect(result).toMatchObject({ reason: "no_progress", runs: 2 });
    expect(git(repo.root, "for-each-ref", "refs/car/")).toBe("");
    expect((await readRunRecord(paths, 1))?.checkpoints).toBeNull();
  });

  it("with checkpoints, no_progress compares them: a run that only writes a file is progress", async () => {
    const { repo } = await setup("");
    await writeConfig(repo.root, repo.agent, { runner: "  no_progress_runs: 2\n  stop_after_runs: 3" });
    const stuck = await runLoop({ root: repo.root, env: agentEnv(repo, { AGENT_MODE: "noop" }) });
    expect(stuck).toMatchObject({ reason: "no_progress", runs: 2 });
    const writing = await runLoop({
      root: repo.root,
      env: agentEnv(repo, { AGENT_MODE: "noop", AGENT_WRITE: join(repo.root, "out.txt") }),
    });
    expect(writing).toMatchObject({ reason: "run_limit", runs: 3 });
  });
});
