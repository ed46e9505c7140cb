import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rollback } from "./rollback.js";
import { takeCheckpoint } from "./take.js";
import { gitState, listing, type TestRepo, tempRepo } from "./test-support.js";

/**
 * The tool's config (it may hold an auth token) is never in a checkpoint; the docs beside it are (a
 * rollback reopens undone items), and the runtime files there are git-ignored.
 */

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const TOKEN = "s3cret-token-0123456789abcdef";
const write = (path: string, text: string) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};
const read = (path: string) => readFileSync(join(repo.root, path), "utf8");
const paths = (ref: string) => repo.git("ls-tree", "-r", "--name-only", ref).split("\n");
/** `git grep` of the token in a commit's files: "" when none holds it. */
const git = (...args: string[]): string => {
  try {
    return repo.git(...args);
  } catch {
    return "";
  }
};

describe("checkpoints leave out .codex-autorunner/config.yml", () => {
  it("never records the config's token, tracked or not, by the fast and the add -A route", async () => {
    repo = tempRepo();
    write(".codex-autorunner/config.yml", `server:\n  auth_token: ${TOKEN}\n`);
    write(".codex-autorunner/TODO.md", "- [ ] one\n");
    write("a.txt", "a\n");
    let cp = await takeCheckpoint(repo.root, 1, "before");
    let seen = { paths: paths(cp.ref), grep: git("grep", "-c", TOKEN, cp.ref) };
    expect(seen).toEqual({ paths: [".codex-autorunner/TODO.md", "a.txt"], grep: "" });

    // Committed by the user (so in HEAD and in the real index): still left out.
    repo.git("add", "-A");
    repo.git("commit", "-qm", "with config");
    write(".codex-autorunner/config.yml", `server:\n  auth_token: ${TOKEN}-2\n`);
    cp = await takeCheckpoint(repo.root, 1, "after");
    seen = { paths: paths(cp.ref), grep: git("grep", "-c", TOKEN, cp.ref) };
    expect(seen).toEqual({ paths: [".codex-autorunner/TODO.md", "a.txt"], grep: "" });

    // A nested repository sends the snapshot the `add -A` way: same result.
    mkdirSync(join(repo.root, "nested"));
    repo.git("-C", "nested", "init", "-q");
    repo.git("-C", "nested", "commit", "-q", "--allow-empty", "-m", "n");
    const before = gitState(repo);
    cp = await takeCheckpoint(repo.root, 2, "before");
    expect(paths(cp.ref)).toEqual([".codex-autorunner/TODO.md", "a.txt", "nested"]);
    expect(git("grep", "-c", TOKEN, cp.ref)).toBe("");
    expect(gitState(repo)).toEqual(before); // the user's index still holds the config
  });

  it("leaves out only the car root's config when the root is a subfolder of the repo", async () => {
    repo = tempRepo();
    write("app/.codex-autorunner/config.yml", `auth_token: ${TOKEN}\n`);
    write("app/src.txt", "s\n");
    write(".codex-autorunner/config.yml", "a folder of the same name elsewhere is the user's\n");
    const cp = await takeCheckpoint(join(repo.root, "app"), 1, "before");
    expect(paths(cp.ref)).toEqual([".codex-autorunner/config.yml", "app/src.txt"]);
  });

  it("a rollback leaves the config and the runtime files alone, and restores the docs beside them", async () => {
    repo = tempRepo();
    write(".gitignore", "node_modules/\n");
    write(".codex-autorunner/.gitignore", "state.json\nruns/\n");
    write(".codex-autorunner/config.yml", `server:\n  auth_token: ${TOKEN}\n`);
    write(".codex-autorunner/TODO.md", "- [ ] one\n");
    write("src/app.ts", "v1\n");
    repo.git("add", "-A");
    repo.git("commit", "-qm", "project");
    const runtime = [
      ".codex-autorunner/config.yml",
      ".codex-autorunner/state.json",
      ".codex-autorunner/runs",
    ];
    const outside = (p: string) => runtime.some((r) => p === r || p.startsWith(`${r}/`));
    const before = listing(repo.root, outside);

    await takeCheckpoint(repo.root, 1, "before");
    write("src/app.ts", "v2 by the run\n");
    write("src/new.ts", "created by the run\n");
    write(".codex-autorunner/config.yml", `server:\n  auth_token: ${TOKEN}-changed\n`);
    write(".codex-autorunner/state.json", "{}\n");
    write(".codex-autorunner/runs/1.json", "{}\n");
    write(".codex-autorunner/TODO.md", "- [x] one\n");
    write(".codex-autorunner/new-note.md", "written during the run\n");
    await takeCheckpoint(repo.root, 1, "after");
    const carFiles = listing(repo.root).filter((l) => outside(l.split(" ")[0] as string));

    const done = await rollback(repo.root, { toBefore: 1 });

    expect(done.plan.remove).toEqual([".codex-autorunner/new-note.md", "src/new.ts"]);
    expect(done.plan.restore).toEqual([
      { path: ".codex-autorunner/TODO.md", was: "modified" },
      { path: "src/app.ts", was: "modified" },
    ]);
    expect(read(".codex-autorunner/TODO.md")).toBe("- [ ] one\n");
    expect(listing(repo.root, outside)).toEqual(before);
    expect(listing(repo.root).filter((l) => outside(l.split(" ")[0] as string))).toEqual(carFiles);
    expect(read(".codex-autorunner/config.yml")).toContain(`${TOKEN}-changed`);
    // Nor is it in the undo checkpoint the rollback took.
    expect(git("grep", "-c", TOKEN, done.undo?.ref ?? "")).toBe("");
  });
});
