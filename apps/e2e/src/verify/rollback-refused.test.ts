/**
 * When `car rollback` must not change anything: while a runner is alive (its codex waiting on the
 * model) it is refused naming the runner's PID; `--dry-run` only lists; without a terminal and
 * without `--yes` it is bad usage. Each time the files, refs, HEAD, index and git status stay as
 * they were.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  firstOpenItem,
  hang,
  runCar,
  runCarOnTty,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { makeCodexRepo, readLog, readRunRecords, trackForCleanup } from "../codex/setup.js";
import { carRefs, git, indexHash, initialCommit, jobModel, listing, porcelain } from "./support.js";

const tracked = trackForCleanup();

/** Everything a rollback could change. */
function snapshot(root: string) {
  return {
    files: listing(root),
    refs: carRefs(root),
    head: git(root, "rev-parse", "HEAD"),
    index: indexHash(root),
    status: porcelain(root),
  };
}

describe("car rollback refusals and dry runs with the real codex", () => {
  it("is refused while a runner is alive; --dry-run only lists; without a TTY it needs --yes, on a TTY it asks", async () => {
    const work = jobModel({ "first task": "echo mine > made-by-run1.txt" });
    // Run 1 does its work; run 2's codex then waits on a model that never answers.
    const srv = await startModelServer({
      script: (req) => (!req.isFollowUp && firstOpenItem(req.prompt) === "second task" ? hang() : work(req)),
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv, {
      todo: ["first task", "second task"],
      extraConfig: { git: { auto_commit: false } },
    });
    tracked.repo = r;
    initialCommit(r.root);

    const runner = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    tracked.car = runner;
    await waitFor(() => srv.pending() === 1, {
      timeoutMs: 60_000,
      what: "run 2's codex to wait on the model",
    });
    const lock = JSON.parse(readFileSync(join(r.dir, "lock"), "utf8")) as { pid: number };
    expect(lock.pid).toBe(runner.pid);
    const during = snapshot(r.root);
    expect(during.files["made-by-run1.txt"]).toBeDefined();
    expect(during.refs.map((l) => l.split(" ")[0])).toContain("refs/car/runs/1/before");

    for (const args of [["--yes"], ["--dry-run"]]) {
      const refused = await runCar(["rollback", "1", ...args], { cwd: r.root, env: r.env });
      expect(refused.code, `${args}: ${refused.stdout}\n${refused.stderr}`).toBe(1);
      expect(refused.stderr).toContain(`while a runner is alive (PID ${runner.pid})`);
      expect(snapshot(r.root)).toEqual(during);
    }
    // The runner was not disturbed: still alive, still holding the lock, its codex still waiting.
    expect(runner.child.exitCode).toBeNull();
    expect(srv.pending()).toBe(1);

    const kill = await runCar(["kill"], { cwd: r.root, env: r.env });
    expect(kill.code, kill.stderr).toBe(0);
    await runner.exited;
    expect(existsSync(join(r.dir, "lock"))).toBe(false);
    const idle = snapshot(r.root);

    // --dry-run: lists what would change, changes nothing (no files, no undo ref, no lock, no record).
    const dry = await runCar(["rollback", "1", "--dry-run"], { cwd: r.root, env: r.env });
    expect(dry.code, `${dry.stdout}\n${dry.stderr}`).toBe(0);
    expect(dry.stdout).toContain("car rollback (dry run: nothing changed): back to the state before run 1");
    expect(dry.stdout).toMatch(/^ {2}remove {3}made-by-run1\.txt \(created since\)$/m);
    expect(dry.stdout).not.toContain("undo with:");
    expect(snapshot(r.root)).toEqual(idle);
    expect(existsSync(join(r.dir, "lock"))).toBe(false);
    const records = readRunRecords(r);
    expect(records.map((x) => x.id)).toEqual([1, 2]);
    for (const rec of records) expect((rec as { rolled_back?: unknown }).rolled_back ?? null).toBeNull();

    // No terminal, no --yes: bad usage (exit 2), nothing changed.
    const unconfirmed = await runCar(["rollback", "1"], { cwd: r.root, env: r.env });
    expect(unconfirmed.code, `${unconfirmed.stdout}\n${unconfirmed.stderr}`).toBe(2);
    expect(unconfirmed.stderr).toContain("no terminal to confirm on: pass --yes");
    expect(snapshot(r.root)).toEqual(idle);
    expect(readLog(r)).not.toContain("rolled back");

    // On a terminal it lists the files and asks; "n" changes nothing, "y" rolls back.
    const declined = runCarOnTty(["rollback", "1"], { cwd: r.root, env: r.env, input: "n\n" });
    expect(declined.code, declined.output).toBe(1);
    expect(declined.output).toMatch(/remove {3}made-by-run1\.txt \(created since\)/);
    expect(declined.output).toContain("Roll back? The current state is kept and can be restored. [y/N]");
    expect(declined.output).toContain("car: nothing changed");
    expect(snapshot(r.root)).toEqual(idle);

    const confirmed = runCarOnTty(["rollback", "1"], { cwd: r.root, env: r.env, input: "y\n" });
    expect(confirmed.code, confirmed.output).toBe(0);
    expect(confirmed.output).toContain("undo with: car rollback --undo ");
    expect(existsSync(join(r.root, "made-by-run1.txt"))).toBe(false);
  });
});
