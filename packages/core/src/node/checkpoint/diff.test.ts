import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { diffFiles, diffRun, diffRunCheckpoints } from "./diff.js";
import { takeCheckpoint } from "./take.js";
import { type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const write = (path: string, text: string | Buffer) => {
  mkdirSync(join(repo.root, path, ".."), { recursive: true });
  writeFileSync(join(repo.root, path), text);
};
const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i}\n`).join("");

/** Run 1: before → modify, add, delete, rename, binary → after. */
beforeEach(async () => {
  repo = tempRepo();
  write("keep.txt", "unchanged\n");
  write("mod.txt", lines(10, "old"));
  write("gone.txt", lines(3, "gone"));
  write("moved-from.txt", lines(20, "stable content that survives the rename"));
  write("img.bin", Buffer.from([0, 1, 2, 3]));
  repo.git("add", "-A");
  repo.git("commit", "-qm", "base");
  await takeCheckpoint(repo.root, 1, "before");
  write("mod.txt", `${lines(8, "old")}new tail\n`);
  write("added.txt", lines(4, "added"));
  rmSync(join(repo.root, "gone.txt"));
  renameSync(join(repo.root, "moved-from.txt"), join(repo.root, "moved-to.txt"));
  write("img.bin", Buffer.from([0, 9, 9, 9, 9]));
  await takeCheckpoint(repo.root, 1, "after");
});

describe("diffRun", () => {
  it("lists each changed file with its status and line counts, and the whole patch", async () => {
    const d = await diffRunCheckpoints(repo.root, 1);
    expect(d.files).toEqual([
      { path: "added.txt", status: "added", additions: 4, deletions: 0, binary: false },
      { path: "gone.txt", status: "deleted", additions: 0, deletions: 3, binary: false },
      { path: "img.bin", status: "modified", additions: 0, deletions: 0, binary: true },
      { path: "mod.txt", status: "modified", additions: 1, deletions: 2, binary: false },
      {
        path: "moved-to.txt",
        status: "renamed",
        from: "moved-from.txt",
        additions: 0,
        deletions: 0,
        binary: false,
      },
    ]);
    expect(d).toMatchObject({ additions: 5, deletions: 5, cut: null });
    expect(d.before).toBe(repo.git("rev-parse", "refs/car/runs/1/before"));
    expect(d.patch).toContain("diff --git a/mod.txt b/mod.txt\n");
    expect(d.patch).toContain("+new tail\n");
    expect(d.patch).toContain("rename from moved-from.txt\n");
    expect(d.patch).toMatch(/Binary files a\/img.bin and b\/img.bin differ\n/);
    expect(d.patch.match(/^diff --git /gm)).toHaveLength(5);
    expect(await diffFiles(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after")).toEqual(d.files);
  });

  it("cuts the patch at a line end within the limit and says where", async () => {
    const full = await diffRun(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after");
    const max = full.patch.indexOf("diff --git a/img.bin") + 10; // just into the third file's header
    const d = await diffRun(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after", {
      patchMaxBytes: max,
    });
    expect(Buffer.byteLength(d.patch)).toBeLessThanOrEqual(max);
    expect(d.patch.endsWith("\n")).toBe(true);
    expect(full.patch.startsWith(d.patch)).toBe(true);
    expect(d.cut).toEqual({
      shown_bytes: Buffer.byteLength(d.patch),
      last_file: "gone.txt",
      omitted_files: ["img.bin", "mod.txt", "moved-to.txt"],
    });
    expect(d.files).toEqual(full.files); // the file list is never cut
    // Exactly the patch's size is not a cut; zero shows nothing.
    const exact = await diffRun(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after", {
      patchMaxBytes: Buffer.byteLength(full.patch),
    });
    expect(exact.cut).toBeNull();
    const none = await diffRun(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after", {
      patchMaxBytes: 0,
    });
    expect(none).toMatchObject({ patch: "", cut: { shown_bytes: 0, last_file: null } });
    expect(none.cut?.omitted_files).toHaveLength(5);
  });

  it("ignores the user's diff settings", async () => {
    repo.git("config", "diff.noprefix", "true");
    repo.git("config", "diff.external", "false");
    repo.git("config", "diff.renames", "false");
    repo.git("config", "color.diff", "always");
    const d = await diffRunCheckpoints(repo.root, 1);
    expect(d.patch).toContain("diff --git a/mod.txt b/mod.txt\n");
    expect(d.patch).not.toContain("\x1b[");
    expect(d.files.find((f) => f.status === "renamed")?.from).toBe("moved-from.txt");
  });

  it("names a missing checkpoint and bad limits", async () => {
    await expect(diffRunCheckpoints(repo.root, 2)).rejects.toSatisfy(
      (e) =>
        isCarError(e, "RUN_NOT_FOUND") &&
        e.message === "Run 2 has no refs/car/runs/2/before or refs/car/runs/2/after checkpoint.",
    );
    await takeCheckpoint(repo.root, 2, "before"); // a run still going, or one that crashed
    await expect(diffRunCheckpoints(repo.root, 2)).rejects.toSatisfy(
      (e) => isCarError(e, "RUN_NOT_FOUND") && e.message === "Run 2 has no refs/car/runs/2/after checkpoint.",
    );
    await expect(diffRun(repo.root, "refs/car/runs/1/before", "nope")).rejects.toSatisfy(
      (e) => isCarError(e, "INVALID_ARGUMENT") && e.message.includes('"nope"'),
    );
    await expect(
      diffRun(repo.root, "refs/car/runs/1/before", "refs/car/runs/1/after", { patchMaxBytes: -1 }),
    ).rejects.toSatisfy((e) => isCarError(e, "INVALID_ARGUMENT") && e.details.key === "patchMaxBytes");
  });
});
