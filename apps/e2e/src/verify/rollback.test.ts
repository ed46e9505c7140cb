/**
 * `car rollback` after two real codex runs that created, modified and deleted files: everything is
 * back exactly as before run 1 (file by file), the user's uncommitted edit and an ignored folder
 * survive, the undo ref holds the later state and `--undo` brings it back; with auto-commit the
 * branch goes back to the old commit.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCar, startModelServer } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { type CodexRepo, makeCodexRepo, readLog, trackForCleanup } from "../codex/setup.js";
import { carRefs, git, initialCommit, jobModel, listing, porcelain, porcelainOutsideCar } from "./support.js";

const tracked = trackForCleanup();

/** Run 1 and run 2 each create, modify and delete files (run 2 also edits and removes run 1's work). */
const JOBS = {
  "first task": [
    "echo created > new-one.txt",
    "mkdir -p lib/deep && echo nested > lib/deep/made.txt",
    "echo appended >> modify-me.txt",
    "rm delete-me.txt",
  ].join(" && "),
  "second task": [
    "echo again >> new-one.txt",
    "rm lib/deep/made.txt",
    "echo two > new-two.txt",
    "printf 'rewritten\\n' > src/code.txt",
    "rm src/old.txt",
    "chmod +x run.sh",
  ].join(" && "),
};

interface Setup {
  r: CodexRepo;
  head: string;
  /** The work tree as it was right before run 1. */
  before: Record<string, string>;
  statusBefore: string[];
}

async function twoRuns(autoCommit: boolean): Promise<Setup> {
  const srv = await startModelServer({ script: jobModel(JOBS) });
  tracked.server = srv;
  const r = makeCodexRepo(srv, {
    todo: ["first task", "second task"],
    extraConfig: { git: { auto_commit: autoCommit } },
  });
  tracked.repo = r;
  const write = (path: string, text: string) => {
    mkdirSync(join(r.root, path, ".."), { recursive: true });
    writeFileSync(join(r.root, path), text);
  };
  write(".gitignore", "node_modules/\n");
  write("modify-me.txt", "original\n");
  write("delete-me.txt", "doomed\n");
  write("src/code.txt", "code v1\n");
  write("src/old.txt", "old\n");
  write("run.sh", "echo run\n");
  write("user.txt", "committed line\n");
  const head = initialCommit(r.root);
  // Before run 1: the user's uncommitted edit and an ignored folder with a file inside.
  write("user.txt", "committed line\nthe user's uncommitted edit\n");
  write("node_modules/pkg/index.js", "module.exports = 42;\n");

  const statusBefore = porcelain(r.root);
  expect(statusBefore).toEqual([" M user.txt"]);
  const before = listing(r.root);
  expect(Object.keys(before)).toContain("node_modules/pkg/index.js");

  const run = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
  expect(run.code, `${run.stdout}\n${run.stderr}\n${readLog(r)}`).toBe(0);
  return { r, head, before, statusBefore };
}

/** `car rollback ...` printed `undo with: car rollback --undo <stamp>`: the stamp. */
function undoStamp(stdout: string): string {
  const stamp = /undo with: car rollback --undo (\S+)/.exec(stdout)?.[1];
  expect(stamp, stdout).toBeDefined();
  return stamp as string;
}

describe("car rollback after real codex runs", () => {
  it("puts every file back as before run 1, keeps the user's edit and ignored files, and is undoable", async () => {
    const { r, head, before, statusBefore } = await twoRuns(false);
    const later = listing(r.root);
    // The runs really did all three kinds of change.
    expect(later["new-two.txt"]).toBeDefined();
    expect(later["delete-me.txt"]).toBeUndefined();
    expect(later["src/old.txt"]).toBeUndefined();
    expect(later["modify-me.txt"]).not.toBe(before["modify-me.txt"]);
    expect(later["run.sh"]).toMatch(/^file 755 /);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);

    const rb = await runCar(["rollback", "1", "--yes"], { cwd: r.root, env: r.env });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    expect(rb.stdout).toContain("back to the state before run 1, undoing runs 1, 2");

    // File by file (content and mode), exactly as before run 1: the edit and node_modules included.
    expect(listing(r.root)).toEqual(before);
    expect(readFileSync(join(r.root, "user.txt"), "utf8")).toBe(
      "committed line\nthe user's uncommitted edit\n",
    );
    expect(readFileSync(join(r.root, "node_modules/pkg/index.js"), "utf8")).toBe("module.exports = 42;\n");
    expect(porcelainOutsideCar(r.root)).toEqual(statusBefore);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);

    // The undo ref holds the later state: the tree run 2 ended with.
    const stamp = undoStamp(rb.stdout);
    const undoRef = `refs/car/rollbacks/${stamp}`;
    expect(rb.stdout).toContain(`the state before is kept at ${undoRef}`);
    expect(git(r.root, "rev-parse", `${undoRef}^{tree}`)).toBe(
      git(r.root, "rev-parse", "refs/car/runs/2/after^{tree}"),
    );
    // The runs' records say they were rolled back, and how to return.
    for (const id of [1, 2]) {
      const rec = JSON.parse(readFileSync(join(r.dir, "runs", `${id}.json`), "utf8")) as {
        rolled_back: { to_before_run: number; undo_command: string } | null;
      };
      expect(rec.rolled_back).toMatchObject({
        to_before_run: 1,
        undo_command: `car rollback --undo ${stamp}`,
      });
    }
    expect(readLog(r)).toContain(`rolled back to before run 1 (undid runs 1, 2)`);

    const undo = await runCar(["rollback", "--undo", stamp, "--yes"], { cwd: r.root, env: r.env });
    expect(undo.code, `${undo.stdout}\n${undo.stderr}`).toBe(0);
    expect(listing(r.root)).toEqual(later);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);
    const rec2 = JSON.parse(readFileSync(join(r.dir, "runs", "2.json"), "utf8")) as { rolled_back: unknown };
    expect(rec2.rolled_back ?? null).toBeNull();
    // The rollback's own undo point is still there, plus the one the undo made.
    expect(carRefs(r.root).filter((l) => l.startsWith("refs/car/rollbacks/"))).toHaveLength(2);
  });

  it("with auto-commit, moves the branch back to the old commit and the user's edit is uncommitted again", async () => {
    const { r, head, before, statusBefore } = await twoRuns(true);
    expect(git(r.root, "rev-list", "--count", "HEAD")).toBe("3");
    const later = listing(r.root);
    const laterHead = git(r.root, "rev-parse", "HEAD");
    const branch = git(r.root, "symbolic-ref", "--short", "HEAD");

    const rb = await runCar(["rollback", "1", "--yes"], { cwd: r.root, env: r.env });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    expect(rb.stdout).toContain(`${branch}: ${laterHead.slice(0, 12)} → ${head.slice(0, 12)}`);
    expect(git(r.root, "symbolic-ref", "--short", "HEAD")).toBe(branch);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);
    expect(listing(r.root)).toEqual(before);
    // The edit the auto-commit swept into run 1's commit is the user's uncommitted edit again.
    expect(porcelainOutsideCar(r.root)).toEqual(statusBefore);

    const undo = await runCar(["rollback", "--undo", undoStamp(rb.stdout), "--yes"], {
      cwd: r.root,
      env: r.env,
    });
    expect(undo.code, `${undo.stdout}\n${undo.stderr}`).toBe(0);
    expect(git(r.root, "rev-parse", "HEAD")).toBe(laterHead);
    expect(listing(r.root)).toEqual(later);
    expect(porcelainOutsideCar(r.root)).toEqual([]);
  });
});
