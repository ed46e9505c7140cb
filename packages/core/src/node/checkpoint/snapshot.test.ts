import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withSnapshot } from "./snapshot.js";
import { takeCheckpoint } from "./take.js";
import { gitState, type TestRepo, tempRepo } from "./test-support.js";

/**
 * The checkpoint's tree must be exactly what a plain `git add -A` records (into a copy of the real
 * index with its mtime kept, so racy entries stay racy), in the cases where the two ways could part:
 * the fast route (status + hash-object + fast-import) and the `add -A` route used by rollback and for
 * what status cannot state (nested repositories).
 */

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const write = (path: string, text: string | Buffer) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};

/** The tree `git add -A` records, in a private copy of the index (the real one is not touched). */
function plainAddAll(): string {
  const real = join(repo.root, ".git", "index");
  const copy = join(repo.root, ".git", "test-plain-index");
  rmSync(copy, { force: true });
  if (existsSync(real)) {
    copyFileSync(real, copy);
    const st = statSync(real);
    utimesSync(copy, st.atime, st.mtime);
  }
  const env = { ...process.env, GIT_INDEX_FILE: copy };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "core.splitIndex=false", "-c", "core.hooksPath=/dev/null", ...args], {
      cwd: repo.root,
      env,
      encoding: "utf8",
    }).trim();
  git("add", "-A");
  const tree = git("write-tree");
  rmSync(copy, { force: true });
  return tree;
}

/** Both routes against the plain `add -A` tree; the user's state is unchanged by either. */
async function expectSameAsAddAll(): Promise<string> {
  const before = gitState(repo);
  const expected = plainAddAll();
  const cp = await takeCheckpoint(repo.root, 1, "after");
  expect(cp.tree).toBe(expected);
  expect(repo.git("rev-parse", `${cp.ref}^{tree}`)).toBe(expected);
  const slow = await withSnapshot(repo.root, async (_repo, snap) => snap.tree);
  expect(slow).toBe(expected);
  expect(gitState(repo)).toEqual(before);
  return expected;
}

function committedProject(): void {
  write(".gitignore", "node_modules/\n*.log\n");
  write("a.txt", "a1\n");
  write("same-size.txt", "aaaa\n");
  write("gone.txt", "gone\n");
  write("staged-gone.txt", "staged then deleted on disk\n");
  write("unstaged.txt", "u1\n");
  write("exec.sh", "#!/bin/sh\n");
  write("dir-to-file/inner.txt", "inner\n");
  write("file-to-dir", "file\n");
  write("link-to-file", "x");
  unlinkSync(join(repo.root, "link-to-file"));
  symlinkSync("a.txt", join(repo.root, "link-to-file"));
  symlinkSync("a.txt", join(repo.root, "link"));
  write("rm-cached.txt", "still on disk\n");
  repo.git("add", "-A");
  repo.git("commit", "-qm", "project");
}

describe("the snapshot equals `git add -A`", () => {
  it("with every kind of change status reports", async () => {
    repo = tempRepo();
    committedProject();
    // Same second, same size, mtime put back: only a racy-entry check can see the change.
    const st = statSync(join(repo.root, "same-size.txt"));
    write("same-size.txt", "bbbb\n");
    utimesSync(join(repo.root, "same-size.txt"), st.atime, st.mtime);
    write("a.txt", "a2 staged\n");
    repo.git("add", "a.txt");
    write("a.txt", "a3 on disk\n");
    rmSync(join(repo.root, "gone.txt"));
    write("staged-new.txt", "staged new\n");
    repo.git("add", "staged-new.txt");
    write("staged-gone.txt", "changed and staged\n");
    repo.git("add", "staged-gone.txt");
    rmSync(join(repo.root, "staged-gone.txt"));
    write("added-then-gone.txt", "x\n");
    repo.git("add", "added-then-gone.txt");
    rmSync(join(repo.root, "added-then-gone.txt"));
    chmodSync(join(repo.root, "exec.sh"), 0o755);
    write("new/deep/folder/untracked.txt", "untracked\n");
    write("new-exec.sh", "#!/bin/sh\n");
    chmodSync(join(repo.root, "new-exec.sh"), 0o755);
    rmSync(join(repo.root, "dir-to-file"), { recursive: true });
    write("dir-to-file", "now a file\n");
    rmSync(join(repo.root, "file-to-dir"));
    write("file-to-dir/inside.txt", "now a folder\n");
    unlinkSync(join(repo.root, "link-to-file"));
    write("link-to-file", "now a file\n");
    unlinkSync(join(repo.root, "link"));
    symlinkSync("new/deep", join(repo.root, "link")); // retargeted
    symlinkSync("nowhere", join(repo.root, "new-dangling-link"));
    repo.git("rm", "-q", "--cached", "rm-cached.txt");
    write("intent.txt", "intent to add\n");
    repo.git("add", "-N", "intent.txt");
    write("node_modules/pkg/index.js", "ignored\n");
    write("debug.log", "ignored\n");

    const tree = await expectSameAsAddAll();
    expect(repo.git("show", `${tree}:same-size.txt`)).toBe("bbbb");
    expect(repo.git("show", `${tree}:a.txt`)).toBe("a3 on disk");
    expect(repo.git("ls-tree", tree, "exec.sh", "new-exec.sh", "link", "new-dangling-link")).toMatch(
      /^100755 .*\texec.sh\n120000 .*\tlink\n120000 .*\tnew-dangling-link\n100755 .*\tnew-exec.sh$/,
    );
    expect(repo.git("ls-tree", "-r", "--name-only", tree)).not.toMatch(/node_modules|debug\.log|gone/);
  });

  it("with odd file names, core.fileMode off, no changes at all", async () => {
    repo = tempRepo();
    write("plain.txt", "p\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    await expectSameAsAddAll(); // nothing changed: HEAD's tree
    write("with space.txt", "s\n");
    write('"quoted" start.txt', "q\n");
    write("back\\slash.txt", "b\n");
    write("new\nline.txt", "n\n");
    write("tab\there.txt", "t\n");
    write("cr", "no carriage return\n");
    write("cr\r", "a carriage return\n"); // hash-object --stdin-paths would read "cr" for it unquoted
    write(Buffer.from([0x6c, 0x61, 0x74, 0xe9, 0x2e, 0x74, 0x78, 0x74]).toString("latin1"), "latin1 name\n");
    writeFileSync(
      Buffer.from([...Buffer.from(`${repo.root}/`), 0x6e, 0xff, 0xfe, 0x2e, 0x62]),
      "not utf-8\n",
    );
    write("dir with space/file.txt", "d\n");
    await expectSameAsAddAll();
    repo.git("config", "core.fileMode", "false");
    write("exec-ignored.sh", "#!/bin/sh\n");
    chmodSync(join(repo.root, "exec-ignored.sh"), 0o755);
    chmodSync(join(repo.root, "plain.txt"), 0o755);
    const tree = await expectSameAsAddAll();
    expect(repo.git("ls-tree", tree, "exec-ignored.sh", "plain.txt")).toMatch(/^100644 .*\n100644 /);
  });

  it("before the first commit, with and without staged files", async () => {
    repo = tempRepo({ commits: false });
    write("a.txt", "a\n");
    await expectSameAsAddAll(); // no index file yet
    repo.git("add", "a.txt");
    write("a.txt", "a changed\n");
    write("b.txt", "b\n");
    const tree = await expectSameAsAddAll();
    const cp = await takeCheckpoint(repo.root, 1, "after");
    // The user's index is kept by the only parent (there is no HEAD).
    expect(repo.git("rev-list", "--parents", "-n1", cp.ref).split(" ")).toHaveLength(2);
    expect(repo.git("rev-parse", `${cp.ref}^1^{tree}`)).toBe(cp.indexTree);
    expect(cp.tree).toBe(tree);
  });

  it("with a nested repository and a submodule (the add -A route)", async () => {
    repo = tempRepo();
    write("a.txt", "a\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    const nested = join(repo.root, "nested");
    mkdirSync(nested);
    execFileSync("git", ["init", "-q", nested]);
    writeFileSync(join(nested, "n.txt"), "n\n");
    execFileSync("git", ["-C", nested, "add", "-A"]);
    execFileSync("git", ["-C", nested, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "n"]);
    write("a.txt", "a changed\n");
    const tree = await expectSameAsAddAll();
    expect(repo.git("ls-tree", tree, "nested")).toMatch(/^160000 commit /);
    // Once committed as a gitlink, a new commit in it is a submodule change.
    repo.git("add", "nested");
    repo.git("commit", "-qm", "gitlink");
    writeFileSync(join(nested, "n.txt"), "n2\n");
    execFileSync("git", ["-C", nested, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "n2"]);
    await expectSameAsAddAll();
  });

  it("with CRLF committed before core.autocrlf", async () => {
    repo = tempRepo();
    write("crlf.txt", "a\r\nb\r\n");
    write("lf.txt", "a\nb\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "crlf");
    repo.git("config", "core.autocrlf", "true");
    write("crlf.txt", "a\r\nb\r\nc\r\n"); // the index has CRLF: `add` keeps it as it is
    write("lf.txt", "a\r\nb\r\nc\r\n"); // the index has LF: `add` turns CRLF into LF
    const tree = await expectSameAsAddAll();
    expect(repo.git("cat-file", "-p", `${tree}:crlf.txt`)).toContain("\r\n");
    expect(repo.git("cat-file", "-p", `${tree}:lf.txt`)).not.toContain("\r");
  });

  it("with assume-unchanged and skip-worktree entries and a sparse checkout and index", async () => {
    repo = tempRepo();
    write("assumed.txt", "a1\n");
    write("skipped.txt", "s1\n");
    write("in/kept.txt", "k1\n");
    write("out/sparse.txt", "o1\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    repo.git("update-index", "--assume-unchanged", "assumed.txt");
    repo.git("update-index", "--skip-worktree", "skipped.txt");
    write("assumed.txt", "a2 hidden from git\n");
    write("skipped.txt", "s2 hidden from git\n");
    write("in/kept.txt", "k2\n");
    await expectSameAsAddAll();
    repo.git("sparse-checkout", "init", "--cone", "--sparse-index");
    repo.git("sparse-checkout", "set", "in");
    write("in/kept.txt", "k3\n");
    write("in/new.txt", "n\n");
    expect(repo.git("ls-files", "--sparse")).toMatch(/^out\/$/m); // the index holds the folder, not its files
    const tree = await expectSameAsAddAll();
    expect(repo.git("show", `${tree}:out/sparse.txt`)).toBe("o1"); // not on disk, still in the tree
  });

  it("with a clean filter, core.symlinks off and the car folder as a link", async () => {
    repo = tempRepo();
    write(".gitattributes", "*.up filter=upper\n");
    repo.git("config", "filter.upper.clean", "tr a-z A-Z");
    repo.git("config", "filter.upper.smudge", "cat");
    write("x.up", "lower\n");
    symlinkSync("x.up", join(repo.root, "link"));
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    write("x.up", "changed lower\n");
    write("y.up", "new lower\n");
    let tree = await expectSameAsAddAll();
    expect(repo.git("show", `${tree}:y.up`)).toBe("NEW LOWER");
    repo.git("config", "core.symlinks", "false");
    unlinkSync(join(repo.root, "link"));
    write("link", "y.up"); // a link checked out as a file holding its target
    mkdirSync(join(repo.root, "elsewhere"));
    write("elsewhere/config.yml", "token: secret\n");
    symlinkSync("elsewhere", join(repo.root, ".codex-autorunner"));
    tree = await expectSameAsAddAll();
    expect(repo.git("ls-tree", tree, "link")).toMatch(/^120000 /);
  });

  it("while a user's git command holds index.lock, taking no lock and running no hook", async () => {
    repo = tempRepo();
    write("a.txt", "a\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    write("a.txt", "a changed\n");
    write("b.txt", "b\n");
    repo.git("add", "b.txt"); // the index's cache-tree is stale now: its tree needs write-tree
    const fired = join(repo.root, ".git", "hook-fired");
    write(".git/hooks/post-index-change", `#!/bin/sh\necho "$GIT_INDEX_FILE" >> "${fired}"\n`);
    chmodSync(join(repo.root, ".git/hooks/post-index-change"), 0o755);
    const lock = join(repo.root, ".git", "index.lock");
    writeFileSync(lock, "held by the user's git");
    await expectSameAsAddAll();
    expect(readFileSync(lock, "utf8")).toBe("held by the user's git");
    expect(existsSync(fired)).toBe(false);
  });

  it("with a split index, index version 4 and the untracked cache", async () => {
    repo = tempRepo();
    repo.git("config", "core.splitIndex", "true");
    repo.git("config", "index.version", "4");
    repo.git("config", "core.untrackedCache", "true");
    write("a.txt", "a\n");
    write("dir/b.txt", "b\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "base");
    repo.git("update-index", "--untracked-cache");
    write("a.txt", "a changed\n");
    write("dir/c.txt", "c\n");
    repo.git("add", "dir/c.txt");
    write("new.txt", "n\n");
    const shared = () => readdirSync(join(repo.root, ".git")).filter((n) => n.startsWith("sharedindex."));
    const before = shared();
    expect(before.length).toBeGreaterThan(0);
    await expectSameAsAddAll();
    expect(shared()).toEqual(before);
    const { indexTree } = await takeCheckpoint(repo.root, 1, "after");
    expect(indexTree).toBe(repo.git("write-tree")); // read from the split index's cache-tree or by write-tree
  });

  it("follows a rename and leaves no private index behind", async () => {
    repo = tempRepo();
    write("a.txt", "a\n");
    await takeCheckpoint(repo.root, 1, "before");
    renameSync(join(repo.root, "a.txt"), join(repo.root, "b.txt"));
    await expectSameAsAddAll();
    expect(execFileSync("ls", [join(repo.root, ".git")], { encoding: "utf8" })).not.toMatch(/car-snapshot/);
  });
});
