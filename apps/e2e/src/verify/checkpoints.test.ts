/**
 * Checkpoints with the real codex: every run gets refs/car/runs/<id>/before and /after holding the
 * whole work tree (uncommitted and untracked files included), and taking them leaves HEAD, the
 * branch, the user's index (byte for byte), the stash and `git status` exactly as the agent left them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCar, startModelServer } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { makeCodexRepo, readLog, trackForCleanup } from "../codex/setup.js";
import { carRefs, git, indexHash, initialCommit, jobModel, porcelain, readRecord } from "./support.js";

const tracked = trackForCleanup();

describe("checkpoints with the real codex", () => {
  it("refs for every run hold the work tree; HEAD, the index bytes, the stash and git status are untouched", async () => {
    const srv = await startModelServer({
      script: jobModel({
        "first task": "echo one > notes.txt",
        "second task": "mkdir -p out && echo two > out/report.txt && echo more >> notes.txt",
      }),
    });
    tracked.server = srv;
    const r = makeCodexRepo(srv, {
      todo: ["first task", "second task"],
      extraConfig: { git: { auto_commit: false } },
    });
    tracked.repo = r;
    mkdirSync(join(r.root, "src"));
    writeFileSync(join(r.root, "src", "app.txt"), "v1\n");
    writeFileSync(join(r.root, "README.md"), "readme\n");
    const head = initialCommit(r.root);
    // The branch git made (init.defaultBranch may name it anything).
    const branch = git(r.root, "symbolic-ref", "--short", "HEAD");
    // The user's own state: a staged edit, an unstaged edit on top of it, and an untracked draft.
    writeFileSync(join(r.root, "README.md"), "readme, staged edit\n");
    git(r.root, "add", "README.md");
    writeFileSync(join(r.root, "README.md"), "readme, staged edit, then unstaged\n");
    writeFileSync(join(r.root, "draft.txt"), "user draft\n");
    const index = indexHash(r.root);
    const statusBefore = porcelain(r.root);
    expect(statusBefore).toEqual(["?? draft.txt", "MM README.md"]);

    const run = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}\n${readLog(r)}`).toBe(0);
    expect(readFileSync(join(r.root, "out", "report.txt"), "utf8")).toBe("two\n");

    // Untouched: HEAD, the branch, the index file byte for byte, the stash.
    expect(git(r.root, "rev-parse", "HEAD")).toBe(head);
    expect(git(r.root, "symbolic-ref", "--short", "HEAD")).toBe(branch);
    expect(indexHash(r.root)).toBe(index);
    expect(git(r.root, "stash", "list")).toBe("");
    expect(git(r.root, "branch", "--list")).toBe(`* ${branch}`);
    // git status: the user's entries as they were, plus exactly what the agent changed.
    expect(porcelain(r.root)).toEqual(
      [...statusBefore, " M .codex-autorunner/TODO.md", "?? notes.txt", "?? out/report.txt"].sort(),
    );

    const refs = carRefs(r.root).map((l) => l.split(" ")[0]);
    expect(refs.sort()).toEqual([
      "refs/car/runs/1/after",
      "refs/car/runs/1/before",
      "refs/car/runs/2/after",
      "refs/car/runs/2/before",
    ]);
    for (const id of [1, 2]) {
      const rec = readRecord(r, id);
      expect(rec.checkpoints?.before?.commit).toBe(git(r.root, "rev-parse", `refs/car/runs/${id}/before`));
      expect(rec.checkpoints?.after?.commit).toBe(git(r.root, "rev-parse", `refs/car/runs/${id}/after`));
      expect(rec.checkpoints?.before?.head).toBe(head);
      expect(rec.checkpoints?.after?.head).toBe(head);
    }
    // The checkpoints hold the work tree, not HEAD or the index: unstaged and untracked files too.
    const show = (spec: string) => git(r.root, "show", spec);
    expect(show("refs/car/runs/1/before:README.md")).toBe("readme, staged edit, then unstaged");
    expect(show("refs/car/runs/1/before:draft.txt")).toBe("user draft");
    expect(() => show("refs/car/runs/1/before:notes.txt")).toThrow();
    expect(show("refs/car/runs/1/after:notes.txt")).toBe("one");
    expect(show("refs/car/runs/2/after:notes.txt")).toBe("one\nmore");
    expect(show("refs/car/runs/2/after:out/report.txt")).toBe("two");
    // What each run changed, from its own before to its own after.
    const changed = (id: number) =>
      readRecord(r, id)
        .checkpoints?.changes?.files.filter((f) => !f.path.startsWith(".codex-autorunner/"))
        .map((f) => `${f.status} ${f.path}`);
    expect(changed(1)).toEqual(["added notes.txt"]);
    expect(changed(2)).toEqual(["modified notes.txt", "added out/report.txt"]);
    const diff = await runCar(["diff", "2", "--stat"], { cwd: r.root, env: r.env });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("notes.txt");
    expect(diff.stdout).toContain("out/report.txt");
  });

  it("works in a repo with no commits yet: refs are made, HEAD stays unborn, no index appears", async () => {
    const srv = await startModelServer({ script: jobModel({ "only task": "echo hi > hello.txt" }) });
    tracked.server = srv;
    const r = makeCodexRepo(srv, { todo: ["only task"], extraConfig: { git: { auto_commit: false } } });
    tracked.repo = r;
    const indexFile = join(r.root, ".git", "index");
    expect(existsSync(indexFile)).toBe(false);

    const run = await runCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 100_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}\n${readLog(r)}`).toBe(0);
    expect(() => git(r.root, "rev-parse", "--verify", "-q", "HEAD")).toThrow();
    expect(existsSync(indexFile)).toBe(false);
    expect(git(r.root, "show", "refs/car/runs/1/after:hello.txt")).toBe("hi");
    expect(() => git(r.root, "show", "refs/car/runs/1/before:hello.txt")).toThrow();
    expect(readRecord(r, 1).checkpoints?.before?.head).toBeNull();
  });
});
