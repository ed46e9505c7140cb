import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { isCarError } from "../errors.js";
import { carPaths, findRepoRoot, resolveRepoPath } from "./paths.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(join(tmpdir(), "car-paths-")));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("findRepoRoot", () => {
  it("walks up to the folder holding a .git folder", async () => {
    await fsp.mkdir(join(dir, ".git"));
    await fsp.mkdir(join(dir, "a", "b"), { recursive: true });
    expect(await findRepoRoot(join(dir, "a", "b"))).toBe(dir);
    expect(await findRepoRoot(dir)).toBe(dir);
  });

  it("accepts a .git file (worktrees, submodules) and stops at the nearest one", async () => {
    await fsp.mkdir(join(dir, ".git"));
    await fsp.mkdir(join(dir, "sub", "deep"), { recursive: true });
    await fsp.writeFile(join(dir, "sub", ".git"), "gitdir: ../.git/modules/sub\n");
    expect(await findRepoRoot(join(dir, "sub", "deep"))).toBe(join(dir, "sub"));
  });

  it("fails with NOT_A_REPO and a hint outside any repo", async () => {
    const err = await findRepoRoot(dir).catch((e: unknown) => e);
    // The temp dir may sit inside a repo on some machines; only assert when it does not.
    if (isCarError(err)) {
      expect(err.code).toBe("NOT_A_REPO");
      expect(err.message).toContain(dir);
      expect(err.message).toContain("git init");
    } else {
      expect(typeof err).toBe("string");
    }
  });
});

describe("carPaths", () => {
  it("uses the defaults without a config", () => {
    const p = carPaths("/r");
    expect(p).toMatchObject({
      dir: "/r/.codex-autorunner",
      config: "/r/.codex-autorunner/config.yml",
      state: "/r/.codex-autorunner/state.json",
      log: "/r/.codex-autorunner/codex-autorunner.log",
      logIndex: "/r/.codex-autorunner/codex-autorunner.log.idx",
      lock: "/r/.codex-autorunner/lock",
      stop: "/r/.codex-autorunner/stop",
      runsDir: "/r/.codex-autorunner/runs",
      gitignore: "/r/.codex-autorunner/.gitignore",
      todo: "/r/.codex-autorunner/TODO.md",
      progress: "/r/.codex-autorunner/PROGRESS.md",
      opinions: "/r/.codex-autorunner/OPINIONS.md",
      template: "/r/.codex-autorunner/prompt.txt",
    });
    expect(carPaths("/r", DEFAULT_CONFIG)).toEqual(p);
  });

  it("takes doc and template paths from the config, relative to the root or absolute", () => {
    const config = structuredClone(DEFAULT_CONFIG);
    config.docs.todo = "docs/TODO.md";
    config.docs.opinions = "/abs/OPINIONS.md";
    config.prompt.template = "../outside/prompt.txt";
    const p = carPaths("/r", config);
    expect(p.todo).toBe("/r/docs/TODO.md");
    expect(p.opinions).toBe("/abs/OPINIONS.md");
    expect(p.template).toBe("/outside/prompt.txt");
    expect(resolveRepoPath("/r", "./x/../y")).toBe("/r/y");
  });
});
