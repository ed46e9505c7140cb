import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { carPaths } from "../paths.js";
import { listSteer } from "./queue.js";
import { ensureSteerIgnored, queueSteer } from "./repo.js";

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-steer-repo-"));
  execFileSync("git", ["init", "--quiet"], { cwd: root });
  await fsp.mkdir(join(root, ".codex-autorunner"));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const status = () =>
  execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: root, encoding: "utf8" });

describe("ensureSteerIgnored", () => {
  it("keeps queued messages out of git without touching any other file", async () => {
    const paths = carPaths(root);
    await fsp.writeFile(paths.gitignore, "state.json\n"); // an older repo's, without steer/
    const before = status();
    await queueSteer(paths, "hello");
    await ensureSteerIgnored(paths); // again: nothing changes
    expect(status()).toBe(before);
    expect(await fsp.readFile(paths.gitignore, "utf8")).toBe("state.json\n");
    expect((await fsp.readdir(paths.steerDir)).filter((f) => f.endsWith(".pending.json"))).toHaveLength(1);
  });

  it("leaves a .gitignore the user put in the folder as it is", async () => {
    const paths = carPaths(root);
    await fsp.mkdir(paths.steerDir);
    await fsp.writeFile(join(paths.steerDir, ".gitignore"), "*.json\n");
    await ensureSteerIgnored(paths);
    expect(await fsp.readFile(join(paths.steerDir, ".gitignore"), "utf8")).toBe("*.json\n");
  });
});

describe("a steer folder that is a symbolic link", () => {
  it("is refused by name: nothing is written or read through it", async () => {
    const paths = carPaths(root);
    const outside = await fsp.mkdtemp(join(tmpdir(), "car-steer-outside-"));
    try {
      await fsp.symlink(outside, paths.steerDir);
      await expect(queueSteer(paths, "hello")).rejects.toThrow(/steer is a symbolic link/);
      await expect(listSteer(paths.steerDir)).rejects.toThrow(/symbolic link/);
      expect(await fsp.readdir(outside)).toEqual([]);
    } finally {
      await fsp.rm(outside, { recursive: true, force: true });
    }
  });
});
