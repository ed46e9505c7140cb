import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { rollback, undoRollback } from "./rollback.js";
import { takeCheckpoint } from "./take.js";
import { gitState, listing, type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const write = (path: string, text: string) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};
const read = (path: string) => readFileSync(join(repo.root, path), "utf8");
const remove = (path: string) => rmSync(join(repo.root, path), { recursive: true });
/** A run: the checkpoint before, the agent's work, the checkpoint after. */
const run = async (id: number, work: () => void) => {
  await takeCheckpoint(repo.root, id, "before");
  work();
  await takeCheckpoint(repo.root, id, "after");
};
/** Staged content and HEAD (the index file's bytes differ after a rollback: its stat data is new). */
const staged = () => repo.git("ls-files", "-s");

/** A committed project, then the user's own uncommitted work, an ignored folder and build output. */
function project(): void {
  write(".gitignore", "node_modules/\ndist/\n");
  write("src/app.ts", "app v1\n");
  write("src/util.ts", "util v1\n");
  write("scripts/build.sh", "#!/bin/sh\necho build\n");
  chmodSync(join(repo.root, "scripts/build.sh"), 0o755);
  write("docs/guide.md", "guide\n");
  symlinkSync("docs/guide.md", join(repo.root, "GUIDE"));
  repo.git("add", "-A");
  repo.git("commit", "-qm", "project");
  write("src/app.ts", "app v1 + the user's uncommitted edit\n");
  write("notes.txt", "the user's untracked notes\n");
  write("src/util.ts", "util staged by the user\n");
  repo.git("add", "src/util.ts");
  write("node_modules/lib/index.js", "installed\n");
}

/** Run 1 creates, modifies and deletes; run 2 does more of each, including undoing some of run 1. */
async function twoRuns(commit: (n: number) => void = () => {}) {
  await run(1, () => {
    write("src/new.ts", "created by run 1\n");
    write("src/deep/er/file.ts", "created by run 1\n");
    write("src/app.ts", "app rewritten by run 1\n");
    remove("docs/guide.md");
    chmodSync(join(repo.root, "scripts/build.sh"), 0o644);
    unlinkSync(join(repo.root, "GUIDE"));
    symlinkSync("src/app.ts", join(repo.root, "GUIDE"));
    write("dist/out.js", "build output of run 1 (ignored)\n");
    commit(1);
  });
  await run(2, () => {
    remove("src/new.ts");
    write("src/other.ts", "created by run 2\n");
    repo.git("add", "src/other.ts"); // the agent stages a file
    remove("notes.txt");
    write("src/util.ts", "util rewritten by run 2\n");
    write("docs/guide.md", "recreated differently by run 2\n");
    commit(2);
  });
}

describe("rollback", () => {
  it("puts the work tree back as it was before the first run, and can be undone", async () => {
    repo = tempRepo();
    project();
    const ignoredBuild = (p: string) => p === "dist" || p.startsWith("dist/");
    const before = listing(repo.root);
    const stagedBefore = staged();
    const statusBefore = repo.git("status", "--porcelain=v2", "--untracked-files=all");
    await twoRuns();
    const later = listing(repo.root);
    const laterState = gitState(repo);

    // Dry run: the plan, and nothing changes (files, hashes, modes, index, HEAD, refs).
    const dry = await rollback(repo.root, { toBefore: 1, dryRun: true });
    expect(listing(repo.root)).toEqual(later);
    expect(gitState(repo)).toEqual(laterState);
    expect(dry).toMatchObject({ dryRun: true, nothingToDo: false, undo: null, runsUndone: [1, 2] });
    // In git's path order.
    expect(dry.plan.remove).toEqual(["src/deep/er/file.ts", "src/other.ts"]);
    expect(dry.plan.restore).toEqual([
      { path: "GUIDE", was: "modified" },
      { path: "docs/guide.md", was: "modified" },
      { path: "notes.txt", was: "deleted" },
      { path: "scripts/build.sh", was: "modified" },
      { path: "src/app.ts", was: "modified" },
      { path: "src/util.ts", was: "modified" },
    ]);
    expect(dry.plan).toMatchObject({ keep: [], head: null, index: true });

    const done = await rollback(repo.root, { toBefore: 1, now: new Date("2026-03-04T05:06:07.089Z") });

    // Exactly as before run 1, file by file (modes and symlinks included), except the build output the
    // run left in an ignored folder: ignored files are never touched.
    expect(listing(repo.root, ignoredBuild)).toEqual(before.filter((l) => !ignoredBuild(l.split(" ")[0]!)));
    expect(read("dist/out.js")).toBe("build output of run 1 (ignored)\n");
    expect(read("src/app.ts")).toBe("app v1 + the user's uncommitted edit\n");
    expect(read("node_modules/lib/index.js")).toBe("installed\n");
    expect(staged()).toBe(stagedBefore); // the user's staged edit is staged again
    expect(repo.git("status", "--porcelain=v2", "--untracked-files=all")).toBe(statusBefore);
    expect(done.undo).toEqual({
      ref: "refs/car/rollbacks/2026-03-04T05-06-07.089Z",
      stamp: "2026-03-04T05-06-07.089Z",
      commit: repo.git("rev-parse", "refs/car/rollbacks/2026-03-04T05-06-07.089Z"),
      command: "car rollback --undo 2026-03-04T05-06-07.089Z",
    });
    // The undo checkpoint holds the later state.
    expect(repo.git("show", `${done.undo!.ref}:src/other.ts`)).toBe("created by run 2");

    // Undoing the rollback brings the later state back exactly.
    const undone = await undoRollback(repo.root, done.undo!.stamp);
    expect(listing(repo.root)).toEqual(later);
    expect(undone.undo?.ref).toMatch(/^refs\/car\/rollbacks\//);
    expect(undone.undo?.ref).not.toBe(done.undo!.ref);

    // Rolling back again when already there: nothing to do, nothing recorded.
    await rollback(repo.root, { toBefore: 1 });
    const again = await rollback(repo.root, { toBefore: 1 });
    expect(again).toMatchObject({ nothingToDo: true, undo: null });
  });

  it("moves the branch back over the runs' commits, also to before the first commit", async () => {
    repo = tempRepo({ commits: false });
    write("a.txt", "the user's first file\n");
    const before = listing(repo.root);
    const autoCommit = (n: number) => {
      repo.git("add", "-A");
      repo.git("commit", "-qm", `[codex] run #${n}`);
    };
    await run(1, () => {
      write("b.txt", "run 1\n");
      autoCommit(1);
    });
    await run(2, () => {
      write("a.txt", "changed by run 2\n");
      repo.git("checkout", "-q", "-b", "agent-branch"); // the agent switched branches
      autoCommit(2);
    });
    const laterHead = repo.git("rev-parse", "HEAD");

    const plan = (await rollback(repo.root, { toBefore: 1, dryRun: true })).plan;
    expect(plan.head).toMatchObject({
      branch: "refs/heads/main",
      to: null,
      leaveBranch: "refs/heads/agent-branch",
    });
    const done = await rollback(repo.root, { toBefore: 1 });

    expect(listing(repo.root)).toEqual(before);
    expect(repo.git("symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(() => repo.git("rev-parse", "-q", "--verify", "HEAD")).toThrow(); // no commits again
    expect(staged()).toBe("");
    expect(repo.git("rev-parse", "agent-branch")).toBe(laterHead); // other branches keep their commits
    expect(repo.git("rev-parse", `${done.undo!.ref}^1`)).toBe(laterHead);
  });

  it("moves the current branch back to the commit recorded before the run", async () => {
    repo = tempRepo();
    project();
    const oldHead = repo.git("rev-parse", "HEAD");
    const before = listing(repo.root);
    const stagedBefore = staged();
    await twoRuns((n) => {
      repo.git("add", "-A");
      repo.git("commit", "-qm", `[codex] run #${n}`);
    });
    expect(repo.git("rev-list", "--count", `${oldHead}..HEAD`)).toBe("2");

    const done = await rollback(repo.root, { toBefore: 1 });

    expect(done.plan.head).toMatchObject({ branch: "refs/heads/main", to: oldHead, moveRef: true });
    expect(repo.git("rev-parse", "HEAD")).toBe(oldHead);
    expect(repo.git("symbolic-ref", "HEAD")).toBe("refs/heads/main");
    const build = (p: string) => p === "dist" || p.startsWith("dist/");
    expect(listing(repo.root, build)).toEqual(before.filter((l) => !build(l.split(" ")[0]!)));
    expect(staged()).toBe(stagedBefore);
    // The runs' commits are not lost: the undo checkpoint's HEAD is the last of them.
    expect(repo.git("rev-list", "--count", `${oldHead}..${done.undo!.ref}^1`)).toBe("2");
  });

  it("detaches HEAD again at the recorded commit when it was detached", async () => {
    repo = tempRepo();
    write("a.txt", "one\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "one");
    const detachedAt = repo.git("rev-parse", "HEAD");
    repo.git("checkout", "-q", "--detach");
    await run(1, () => {
      repo.git("checkout", "-q", "main"); // the agent went back to the branch and committed there
      write("a.txt", "two\n");
      repo.git("commit", "-qam", "two");
    });
    const mainHead = repo.git("rev-parse", "main");

    await rollback(repo.root, { toBefore: 1 });

    expect(() => repo.git("symbolic-ref", "-q", "HEAD")).toThrow(); // detached
    expect(repo.git("rev-parse", "HEAD")).toBe(detachedAt);
    expect(repo.git("rev-parse", "main")).toBe(mainHead); // a branch HEAD was not on is left alone
    expect(read("a.txt")).toBe("one\n");
  });

  it("keeps files the snapshot's rules ignore even when a run removed the rule", async () => {
    repo = tempRepo();
    write(".gitignore", "node_modules/\n");
    write("src/a.ts", "a\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    write("node_modules/dep/index.js", "installed before the run\n");
    const before = listing(repo.root);
    await run(1, () => {
      write(".gitignore", "# the agent dropped the rule\n");
      write("created.txt", "new\n");
    });

    const dry = await rollback(repo.root, { toBefore: 1, dryRun: true });
    expect(dry.plan.keep).toEqual(["node_modules/dep/index.js"]);
    expect(dry.plan.remove).toEqual(["created.txt"]);
    await rollback(repo.root, { toBefore: 1 });

    expect(listing(repo.root)).toEqual(before);
  });

  it("handles names that are not UTF-8, and keeps an overwritten ignored file in the undo checkpoint", async () => {
    repo = tempRepo();
    write("settings.local", "the user's settings\n");
    const before = listing(repo.root);
    const latin1Name = Buffer.from([0x6f, 0x6c, 0x64, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "old\xe9.txt"
    await run(1, () => {
      writeFileSync(Buffer.concat([Buffer.from(`${repo.root}/`), latin1Name]), "not UTF-8\n");
      write("café.txt", "UTF-8\n");
      write(".gitignore", "settings.local\n"); // the agent ignores the file, then changes it
      write("settings.local", "the agent's settings\n");
    });

    const done = await rollback(repo.root, { toBefore: 1 });

    expect(done.plan.remove).toEqual([".gitignore", "café.txt", "old\uFFFD.txt"]);
    expect(done.plan.restore).toEqual([{ path: "settings.local", was: "deleted" }]);
    expect(listing(repo.root)).toEqual(before);
    expect(repo.git("show", `${done.undo!.ref}:settings.local`)).toBe("the agent's settings");
  });

  it("names a run without a checkpoint and a rollback that does not exist", async () => {
    repo = tempRepo();
    await expect(rollback(repo.root, { toBefore: 4 })).rejects.toSatisfy(
      (e) => isCarError(e, "RUN_NOT_FOUND") && e.message.includes("refs/car/runs/4/before"),
    );
    await expect(undoRollback(repo.root, "2026-01-01T00-00-00.000Z")).rejects.toSatisfy(
      (e) => isCarError(e, "INVALID_ARGUMENT") && e.message.includes("No rollback 2026-01-01T00-00-00.000Z"),
    );
    await expect(undoRollback(repo.root, "../../heads/main")).rejects.toSatisfy((e) =>
      isCarError(e, "INVALID_ARGUMENT"),
    );
  });
});
