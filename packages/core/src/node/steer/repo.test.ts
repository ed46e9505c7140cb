import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { carPaths } from "../paths.js";
import { ensureSteerIgnored, queueSteer } from "./repo.js";

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-steer-repo-"));
  await fsp.mkdir(join(root, ".codex-autorunner"));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("ensureSteerIgnored", () => {
  it("adds steer/ once to an older .gitignore, and leaves a missing one missing", async () => {
    const paths = carPaths(root);
    await ensureSteerIgnored(paths);
    await expect(fsp.access(paths.gitignore)).rejects.toThrow();
    await fsp.writeFile(paths.gitignore, "state.json");
    await ensureSteerIgnored(paths);
    await queueSteer(paths, "hello");
    expect(await fsp.readFile(paths.gitignore, "utf8")).toBe("state.json\nsteer/\n");
  });

  it("writes through a symlinked .gitignore, which stays a link", async () => {
    const paths = carPaths(root);
    const shared = join(root, "shared-ignore");
    await fsp.writeFile(shared, "runs/\n");
    await fsp.symlink(shared, paths.gitignore);
    await ensureSteerIgnored(paths);
    expect((await fsp.lstat(paths.gitignore)).isSymbolicLink()).toBe(true);
    expect(await fsp.readFile(shared, "utf8")).toBe("runs/\nsteer/\n");
  });
});
