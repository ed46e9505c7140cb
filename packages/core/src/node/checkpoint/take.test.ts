import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { readCheckpoint, takeCheckpoint } from "./take.js";
import { gitState, type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const write = (path: string, text: string) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};
/** `path mode type` of every entry in a commit's tree. */
const treeOf = (rev: string) =>
  repo
    .git("ls-tree", "-r", "--format=%(path) %(objectmode)", rev)
    .split("\n")
    .filter((l) => l !== "");

describe("takeCheckpoint", () => {
  it("records the whole work tree and changes nothing the user sees", async () => {
    repo = tempRepo();
    write(".gitignore", "node_modules/\n*.log\n");
    write("src/a.ts", "a1\n");
    write("src/b.ts", "b1\n");
    write("docs/readme.md", "r1\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    // A stash, staged and unstaged edits, an untracked file, a symlink, ignored files.
    write("src/a.ts", "stashed\n");
    repo.git("stash", "-q");
    write("src/a.ts", "a2 staged\n");
    repo.git("add", "src/a.ts");
    write("src/b.ts", "b2 unstaged\n");
    write("new/untracked.txt", "u\n");
    symlinkSync("src/b.ts", join(repo.root, "link"));
    write("node_modules/pkg/index.js", "ignored\n");
    write("debug.log", "ignored\n");
    const before = gitState(repo);

    const cp = await takeCheckpoint(repo.root, 3, "before");

    expect(gitState(repo)).toEqual(before);
    expect(cp.ref).toBe("refs/car/runs/3/before");
    expect(repo.git("rev-parse", cp.ref)).toBe(cp.commit);
    expect(treeOf(cp.ref)).toEqual([
      ".gitignore 100644",
      "docs/readme.md 100644",
      "link 120000",
      "new/untracked.txt 100644",
      "src/a.ts 100644",
      "src/b.ts 100644",
    ]);
    expect(repo.git("show", `${cp.ref}:src/b.ts`)).toBe("b2 unstaged");
    expect(repo.git("show", `${cp.ref}:src/a.ts`)).toBe("a2 staged");
    // HEAD, branch and the index as staged are recorded; HEAD is the first parent (git log shows context).
    const head = repo.git("rev-parse", "HEAD");
    expect(cp).toMatchObject({ head, branch: "refs/heads/main", label: "run 3 before" });
    expect(repo.git("rev-parse", `${cp.ref}^1`)).toBe(head);
    expect(cp.indexTree).toBe(repo.git("write-tree"));
    expect(repo.git("show", `${cp.indexTree}:src/a.ts`)).toBe("a2 staged");
    expect(repo.git("show", `${cp.indexTree}:src/b.ts`)).toBe("b1");
    // The index tree is kept reachable by a second parent.
    expect(repo.git("rev-parse", `${cp.ref}^2^{tree}`)).toBe(cp.indexTree);
    expect(await readCheckpoint(repo.root, cp.ref)).toEqual(cp);
    // No private index left behind in the git dir.
    expect(readdirSync(join(repo.root, ".git")).filter((f) => f.startsWith("car-"))).toEqual([]);
  });

  it("works in a repo with no commits and no index yet", async () => {
    repo = tempRepo({ commits: false });
    write("a.txt", "first\n");
    write("sub/b.txt", "second\n");
    const before = gitState(repo);
    expect(before.index).toBe("(none)");

    const cp = await takeCheckpoint(repo.root, 1, "before");

    expect(gitState(repo)).toEqual(before); // still no index file, no HEAD
    expect(cp).toMatchObject({ head: null, branch: "refs/heads/main", indexTree: null });
    expect(treeOf(cp.ref)).toEqual(["a.txt 100644", "sub/b.txt 100644"]);
    expect(repo.git("rev-list", "--parents", "-n1", cp.ref)).toBe(cp.commit); // no parent
    expect(await readCheckpoint(repo.root, cp.ref)).toEqual(cp);
  });

  it("uses a linked worktree's own index and HEAD", async () => {
    repo = tempRepo();
    write("a.txt", "main\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "a");
    const wt = join(repo.root, "..", `${repo.root.split("/").pop()}-wt`);
    repo.git("worktree", "add", "-q", "-b", "side", wt);
    try {
      writeFileSync(join(wt, "a.txt"), "side edit\n");
      writeFileSync(join(wt, "only-in-wt.txt"), "x\n");
      const cp = await takeCheckpoint(wt, 7, "after");
      expect(cp.branch).toBe("refs/heads/side");
      expect(repo.git("show", `${cp.ref}:a.txt`)).toBe("side edit");
      expect(repo.git("show", `${cp.ref}:only-in-wt.txt`)).toBe("x");
      expect(repo.git("status", "--porcelain")).toBe(""); // the main work tree is untouched
    } finally {
      repo.git("worktree", "remove", "--force", wt);
    }
  });

  it("replaces the checkpoint when taken again, and names bad input", async () => {
    repo = tempRepo();
    write("a.txt", "1\n");
    const first = await takeCheckpoint(repo.root, 2, "after");
    write("a.txt", "2\n");
    const second = await takeCheckpoint(repo.root, 2, "after");
    expect(second.commit).not.toBe(first.commit);
    expect(repo.git("show", "refs/car/runs/2/after:a.txt")).toBe("2");
    expect(await readCheckpoint(repo.root, "refs/car/runs/9/before")).toBeNull();
    await expect(takeCheckpoint(repo.root, 0, "before")).rejects.toSatisfy(
      (e) => isCarError(e, "INVALID_ARGUMENT") && /positive whole number/.test(e.message),
    );
    // A ref pointing at an ordinary commit is not a checkpoint.
    repo.git("update-ref", "refs/car/runs/5/before", "HEAD");
    await expect(readCheckpoint(repo.root, "refs/car/runs/5/before")).rejects.toSatisfy(
      (e) => isCarError(e, "GIT_FAILED") && /not a codex-autorunner checkpoint/.test(e.message),
    );
  });
});
