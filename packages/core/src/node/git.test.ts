import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitAll, gitInit, isGitRepo, workTreeFingerprint } from "./git.js";

let dir: string;
// Run git without the developer's global identity so the fallback identity path is exercised.
const isolatedEnv = {
  HOME: "",
  XDG_CONFIG_HOME: "",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};
const saved: Record<string, string | undefined> = {};

beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-git-"));
  for (const [k, v] of Object.entries(isolatedEnv)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterEach(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await fsp.rm(dir, { recursive: true, force: true });
});

const gitOut = (args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

describe("git", () => {
  it("detects repos and initialises one", async () => {
    expect(await isGitRepo(dir)).toBe(false);
    await gitInit(dir);
    expect(await isGitRepo(dir)).toBe(true);
    await fsp.mkdir(join(dir, "sub"));
    expect(await isGitRepo(join(dir, "sub"))).toBe(true);
  });

  it("commits everything with a fallback identity, and nothing to commit is ok", async () => {
    await gitInit(dir);
    await fsp.writeFile(join(dir, "a.txt"), "one\n");
    const first = await commitAll(dir, "[codex] run #1");
    expect(first.ok).toBe(true);
    expect(first.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(gitOut(["log", "-1", "--format=%s|%an|%ae"])).toBe(
      "[codex] run #1|codex-autorunner|codex-autorunner@localhost",
    );
    expect(await commitAll(dir, "again")).toEqual({ ok: true, sha: null, message: "nothing to commit" });

    await fsp.rm(join(dir, "a.txt"));
    await fsp.writeFile(join(dir, "b.txt"), "two\n");
    const second = await commitAll(dir, "run 2; $(echo not-a-shell)");
    expect(second.ok).toBe(true);
    expect(gitOut(["log", "-1", "--format=%s"])).toBe("run 2; $(echo not-a-shell)");
    expect(gitOut(["ls-files"])).toBe("b.txt");
  });

  it("keeps the repo's own identity when it has one", async () => {
    await gitInit(dir);
    gitOut(["config", "user.name", "Ada"]);
    gitOut(["config", "user.email", "ada@example.com"]);
    await fsp.writeFile(join(dir, "a.txt"), "x");
    expect((await commitAll(dir, "m")).ok).toBe(true);
    expect(gitOut(["log", "-1", "--format=%an <%ae>"])).toBe("Ada <ada@example.com>");
  });

  it("returns a failed commit with git's error instead of throwing", async () => {
    await gitInit(dir);
    await fsp.writeFile(join(dir, "a.txt"), "x");
    // A pre-existing index.lock makes git add fail.
    await fsp.writeFile(join(dir, ".git", "index.lock"), "");
    const res = await commitAll(dir, "m");
    expect(res.ok).toBe(false);
    expect(res.sha).toBeNull();
    expect(res.message).toContain("index.lock");
  });

  it("fingerprints the work tree, before and after the first commit", async () => {
    await gitInit(dir);
    const empty = await workTreeFingerprint(dir);
    await fsp.writeFile(join(dir, "a.txt"), "one\n");
    const untracked = await workTreeFingerprint(dir);
    expect(untracked).not.toBe(empty);
    await fsp.writeFile(join(dir, "a.txt"), "two\n");
    const edited = await workTreeFingerprint(dir);
    expect(edited).not.toBe(untracked);
    expect(await workTreeFingerprint(dir)).toBe(edited);

    await commitAll(dir, "c1");
    const clean = await workTreeFingerprint(dir);
    await fsp.writeFile(join(dir, "a.txt"), "three\n");
    const modified = await workTreeFingerprint(dir);
    expect(modified).not.toBe(clean);
    await fsp.writeFile(join(dir, "a.txt"), "four\n");
    expect(await workTreeFingerprint(dir)).not.toBe(modified);
    await fsp.writeFile(join(dir, "a.txt"), "two\n");
    expect(await workTreeFingerprint(dir)).toBe(clean);
  });

  it("fails with GIT_FAILED outside a repository", async () => {
    const outside = await fsp.mkdtemp(join(tmpdir(), "car-nogit-"));
    try {
      process.env.GIT_CEILING_DIRECTORIES = tmpdir();
      await expect(workTreeFingerprint(outside)).rejects.toMatchObject({ code: "GIT_FAILED" });
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
      await fsp.rm(outside, { recursive: true, force: true });
    }
  });

  it("runs the repo's pre-commit hook and reports its refusal", async () => {
    await gitInit(dir);
    const hook = join(dir, ".git", "hooks", "pre-commit");
    await fsp.mkdir(join(dir, ".git", "hooks"), { recursive: true });
    await fsp.writeFile(hook, "#!/bin/sh\necho 'lint says no' >&2\nexit 1\n", { mode: 0o755 });
    await fsp.writeFile(join(dir, "a.txt"), "x");
    const res = await commitAll(dir, "m");
    expect(res.ok).toBe(false);
    expect(res.message).toContain("lint says no");
    expect(() => gitOut(["rev-parse", "HEAD"])).toThrow();
  });
});
