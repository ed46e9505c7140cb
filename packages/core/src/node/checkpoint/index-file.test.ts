import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cachedIndexTree } from "../../checkpoint/index-file.js";
import { type TestRepo, tempRepo } from "./test-support.js";

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const index = () => readFileSync(join(repo.root, ".git", "index"));
/** Many entries with long and short names: the padding and v4's prefix compression are exercised. */
function files(n: number): void {
  for (let i = 0; i < n; i++) writeFileSync(join(repo.root, `${"f".repeat(i % 13)}${i}.txt`), `${i}\n`);
}

describe("cachedIndexTree", () => {
  it("is the tree git write-tree gives while the cache is valid, null once something is staged", () => {
    repo = tempRepo();
    files(40);
    repo.git("add", "-A");
    repo.git("commit", "-qm", "files");
    expect(cachedIndexTree(index(), 20)).toBe(repo.git("write-tree"));
    writeFileSync(join(repo.root, "new.txt"), "new\n");
    repo.git("add", "new.txt");
    expect(cachedIndexTree(index(), 20)).toBeNull(); // invalidated by the add
    repo.git("write-tree"); // git stores the tree again
    expect(cachedIndexTree(index(), 20)).toBe(repo.git("write-tree"));
    expect(cachedIndexTree(Buffer.from("not an index"), 20)).toBeNull();
  });

  it("reads index versions 3 (extended flags) and 4, and sha256 repositories", () => {
    repo = tempRepo();
    files(30);
    repo.git("add", "-A");
    repo.git("update-index", "--skip-worktree", "0.txt"); // an extended flag: version 3
    repo.git("write-tree");
    expect(index().readUInt32BE(4)).toBe(3);
    expect(cachedIndexTree(index(), 20)).toBe(repo.git("write-tree"));
    repo.git("update-index", "--index-version", "4");
    repo.git("write-tree");
    expect(index().readUInt32BE(4)).toBe(4);
    expect(cachedIndexTree(index(), 20)).toBe(repo.git("write-tree"));
    // An intent-to-add entry keeps git's cache invalid: write-tree is asked instead.
    writeFileSync(join(repo.root, "later.txt"), "intent to add\n");
    repo.git("add", "-N", "later.txt");
    repo.git("write-tree");
    expect(cachedIndexTree(index(), 20)).toBeNull();
    repo.cleanup();

    repo = tempRepo({ commits: false });
    rmSync(join(repo.root, ".git"), { recursive: true });
    repo.git("init", "-q", "--object-format=sha256", ".");
    files(10);
    repo.git("add", "-A");
    repo.git("write-tree");
    const tree = repo.git("write-tree");
    expect(tree).toHaveLength(64);
    expect(cachedIndexTree(index(), 32)).toBe(tree);
  });
});
