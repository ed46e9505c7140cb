import { execFileSync } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { requestStop } from "../control.js";
import { runLoop } from "../engine/loop.js";
import { agentEnv, useTestRepos } from "../engine/test-fixtures.js";
import { getStatus } from "../status.js";
import {
  clearQueuedStart,
  queuedStartPath,
  readQueuedStart,
  repoHubDir,
  writeQueuedStart,
} from "./queued.js";

const setup = useTestRepos();
const START = { since: "2026-01-01T00:00:00.000Z", once: true };

describe("queued starts", () => {
  it("written in a folder that ignores itself in git; read back; cleared", async () => {
    const { repo, paths } = await setup();
    await writeQueuedStart(paths, START);
    expect(await readQueuedStart(paths)).toEqual(START);
    expect(await fsp.readFile(join(repoHubDir(paths), ".gitignore"), "utf8")).toMatch(/^\*$/m);
    const porcelain = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: repo.root,
      encoding: "utf8",
    });
    expect(porcelain).not.toContain("hub/");
    expect(await clearQueuedStart(paths)).toBe(true);
    expect(await clearQueuedStart(paths)).toBe(false);
    expect(await readQueuedStart(paths)).toBeNull();
  });

  it("a file that is not a queued start is ignored", async () => {
    const { paths } = await setup();
    await writeQueuedStart(paths, START);
    await fsp.writeFile(queuedStartPath(paths), "{not json");
    expect(await readQueuedStart(paths)).toBeNull();
    await fsp.writeFile(queuedStartPath(paths), '{"since": 3, "once": true}');
    expect(await readQueuedStart(paths)).toBeNull();
    // Never followed, never blocking: a link or a FIFO in its place is no queued start.
    await fsp.rm(queuedStartPath(paths));
    const elsewhere = join(paths.root, "elsewhere.json");
    await fsp.writeFile(elsewhere, JSON.stringify(START));
    await fsp.symlink(elsewhere, queuedStartPath(paths));
    expect(await readQueuedStart(paths)).toBeNull();
    await fsp.rm(queuedStartPath(paths));
    execFileSync("mkfifo", [queuedStartPath(paths)]);
    expect(await readQueuedStart(paths)).toBeNull();
    expect((await getStatus(paths.root)).queued).toBeNull();
  });

  it("a symlinked hub folder is refused", async () => {
    const { repo, paths } = await setup();
    await fsp.symlink(repo.side, repoHubDir(paths));
    const err = await writeQueuedStart(paths, START).catch((e: unknown) => e);
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    expect(existsSync(join(repo.side, "queued.json"))).toBe(false);
  });

  it("status shows it (status queued while no runner is alive)", async () => {
    const { repo, paths } = await setup();
    expect(await getStatus(repo.root)).toMatchObject({ status: "idle", queued: null });
    await writeQueuedStart(paths, START);
    expect(await getStatus(repo.root)).toMatchObject({ status: "queued", queued: START, running: false });
  });

  it("stop cancels it (no runner); with neither, NOT_RUNNING", async () => {
    const { repo, paths } = await setup();
    await writeQueuedStart(paths, START);
    expect(await requestStop(repo.root)).toEqual({ pid: null, queueCancelled: true });
    expect(existsSync(queuedStartPath(paths))).toBe(false);
    expect(existsSync(paths.stop)).toBe(false);
    const err = await requestStop(repo.root).catch((e: unknown) => e);
    expect(isCarError(err, "NOT_RUNNING")).toBe(true);
    await writeQueuedStart(paths, START);
    expect(await clearQueuedStart(paths)).toBe(true);
    expect(await clearQueuedStart(paths)).toBe(false);
  });

  it("any runner satisfies it: the loop removes it once it holds the lock", async () => {
    const { repo, paths } = await setup({ runner: "  stop_after_runs: 1" });
    await writeQueuedStart(paths, START);
    await runLoop({ root: repo.root, env: agentEnv(repo) });
    expect(existsSync(queuedStartPath(paths))).toBe(false);
    expect(await getStatus(repo.root)).toMatchObject({ status: "idle", queued: null, last_run_id: 1 });
  });
});
