import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitAll, gitInit, isGitRepo, isTracked, workTreeFingerprint } from "./git.js";

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

  it("fingerprints staged changes, renames, symlinks and any file name, with one git call", async () => {
    await gitInit(dir);
    await fsp.writeFile(join(dir, "a.txt"), "one\n");
    await commitAll(dir, "c1");
    const clean = await workTreeFingerprint(dir);
    const seen = new Set([clean]);
    const changed = async (what: string) => {
      const fp = await workTreeFingerprint(dir);
      expect(seen.has(fp), what).toBe(false);
      expect(await workTreeFingerprint(dir), `${what}, read again`).toBe(fp);
      seen.add(fp);
    };
    await fsp.writeFile(join(dir, "a.txt"), "two\n");
    gitOut(["add", "a.txt"]);
    await changed("a staged edit");
    await fsp.writeFile(join(dir, "a.txt"), "one\n");
    await changed("the work tree back to HEAD's content, the edit still staged");
    gitOut(["mv", "a.txt", "b c.txt"]);
    await changed("a staged rename to a name with a space");
    await fsp.writeFile(join(dir, "b c.txt"), "three\n");
    await changed("an edit of the renamed file");
    await fsp.symlink("b c.txt", join(dir, "link"));
    await changed("a new symlink");
    await fsp.rm(join(dir, "link"));
    await fsp.symlink("elsewhere", join(dir, "link"));
    await changed("the symlink pointing elsewhere");
    const odd = Buffer.concat([Buffer.from(`${dir}/odd-`), Buffer.from([0xff, 0xfe]), Buffer.from(".txt")]);
    await fsp.writeFile(odd, "x");
    await changed("an untracked file whose name is not UTF-8");
    await fsp.writeFile(odd, "y");
    await changed("an edit of that file");

    // One git process per fingerprint (it runs between every two runs of the loop).
    const shims = await fsp.mkdtemp(join(tmpdir(), "car-git-shim-"));
    const calls = join(shims, "calls");
    const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    await fsp.writeFile(join(shims, "git"), `#!/bin/sh\necho "$*" >>"${calls}"\nexec "${realGit}" "$@"\n`, {
      mode: 0o755,
    });
    const path = process.env.PATH;
    process.env.PATH = `${shims}:${path}`;
    try {
      expect(seen.has(await workTreeFingerprint(dir))).toBe(true);
      expect((await fsp.readFile(calls, "utf8")).trim().split("\n")).toHaveLength(1);
    } finally {
      process.env.PATH = path;
      await fsp.rm(shims, { recursive: true, force: true });
    }
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

  describe("a config.yml holding a literal server.auth_token", () => {
    const CONFIG = ".codex-autorunner/config.yml";
    const withToken = 'version: 1\nserver:\n  auth_token: "0123456789abcdef0123"\n';
    const write = (rel: string, text: string) => fsp.writeFile(join(dir, rel), text);

    beforeEach(async () => {
      await gitInit(dir);
      await fsp.mkdir(join(dir, ".codex-autorunner"));
    });

    it("is left out of the first commit (and stays in the work tree, untracked)", async () => {
      await write(CONFIG, withToken);
      await write("a.txt", "agent edit\n");
      const res = await commitAll(dir, "m");
      expect(res).toMatchObject({ ok: true, leftOut: [CONFIG] });
      expect(gitOut(["show", "--stat", "--format=", "HEAD"])).not.toContain("config.yml");
      expect(gitOut(["ls-files"])).toBe("a.txt");
      expect(await isTracked(dir, CONFIG)).toBe(false);
      expect(await fsp.readFile(join(dir, CONFIG), "utf8")).toBe(withToken);
    });

    it("when tracked: the token edit is not committed, the other changes are", async () => {
      await write(CONFIG, "version: 1\n");
      await write("a.txt", "one\n");
      expect((await commitAll(dir, "c1")).leftOut).toBeUndefined();
      expect(await isTracked(dir, CONFIG)).toBe(true);

      await write(CONFIG, withToken);
      await write("a.txt", "two\n");
      const res = await commitAll(dir, "c2");
      expect(res).toMatchObject({ ok: true, leftOut: [CONFIG] });
      expect(res.sha).not.toBeNull();
      const stat = gitOut(["show", "--stat", "--format=", "HEAD"]);
      expect(stat).toContain("a.txt");
      expect(stat).not.toContain("config.yml");
      expect(gitOut(["show", `HEAD:${CONFIG}`])).toBe("version: 1");
      expect(gitOut(["log", "-p", "--all"])).not.toContain("0123456789abcdef0123");
      expect(gitOut(["status", "--porcelain"])).toBe(`M ${CONFIG}`);

      // Only the config changed: nothing to commit, and it is still said what was left out.
      expect(await commitAll(dir, "c3")).toEqual({
        ok: true,
        sha: null,
        message: "nothing to commit",
        leftOut: [CONFIG],
      });
    });

    it("a config without a token is committed as usual", async () => {
      await write(CONFIG, "version: 1\nserver:\n  auth_token: null\n");
      const res = await commitAll(dir, "m");
      expect(res.leftOut).toBeUndefined();
      expect(gitOut(["ls-files"])).toBe(CONFIG);
    });
  });
});
