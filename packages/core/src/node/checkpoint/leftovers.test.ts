import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sweepLeftovers } from "./leftovers.js";
import { takeCheckpoint } from "./take.js";
import { type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const gitDir = () => join(repo.root, ".git");
const ours = () =>
  readdirSync(gitDir())
    .filter((f) => f.startsWith("car-"))
    .sort();

/** A pid that certainly ended: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "0"]);
  return r.pid as number;
}

describe("sweepLeftovers", () => {
  it("removes a killed runner's private indexes, keeps a live one's and everything else", async () => {
    repo = tempRepo();
    const dead = deadPid();
    const live = process.pid;
    const names = [
      `car-snapshot-${dead}-0a1b2c3d`,
      `car-snapshot-${dead}-0a1b2c3d-user`,
      `car-snapshot-${dead}-0a1b2c3d.lock`,
      `car-snapshot-${live}-deadbeef`,
      `car-snapshot-${live}-deadbeef-user`,
      "car-snapshot-notes.txt", // not ours by name
    ];
    for (const n of names) writeFileSync(join(gitDir(), n), "x");

    await sweepLeftovers(gitDir());
    expect(ours()).toEqual([
      `car-snapshot-${live}-deadbeef`,
      `car-snapshot-${live}-deadbeef-user`,
      "car-snapshot-notes.txt",
    ]);
    // Over an hour old: the pid may have been reused, so a live pid no longer protects them.
    await sweepLeftovers(gitDir(), Date.now() + 61 * 60 * 1000);
    expect(ours()).toEqual(["car-snapshot-notes.txt"]);
    expect(readdirSync(gitDir())).toContain("HEAD");
  });

  it("runs at the start of every checkpoint", async () => {
    repo = tempRepo();
    writeFileSync(join(gitDir(), `car-snapshot-${deadPid()}-00ff00ff`), "x");
    await takeCheckpoint(repo.root, 1, "before");
    expect(ours()).toEqual([]);
    await sweepLeftovers(join(repo.root, "no-such-dir")); // nothing to sweep: no error
  });
});
