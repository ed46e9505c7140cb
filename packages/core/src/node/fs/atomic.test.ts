import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTextIfExists, writeFileAtomic } from "./atomic.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-atomic-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("creates and replaces a file, leaving no temp files", async () => {
    const file = join(dir, "state.json");
    await writeFileAtomic(file, "one");
    expect(await fsp.readFile(file, "utf8")).toBe("one");
    await writeFileAtomic(file, new TextEncoder().encode("two"));
    expect(await fsp.readFile(file, "utf8")).toBe("two");
    expect(await fsp.readdir(dir)).toEqual(["state.json"]);
  });

  it("keeps the replaced file's mode", async () => {
    const file = join(dir, "doc.md");
    await fsp.writeFile(file, "x", { mode: 0o600 });
    await fsp.chmod(file, 0o600);
    await writeFileAtomic(file, "y");
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
  });

  it("an explicit mode wins over the replaced file's", async () => {
    const file = join(dir, "secret");
    await fsp.writeFile(file, "old");
    await fsp.chmod(file, 0o644);
    await writeFileAtomic(file, "new", { mode: 0o600 });
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fsp.readFile(file, "utf8")).toBe("new");
    await writeFileAtomic(join(dir, "fresh"), "x", { mode: 0o600 });
    expect((await fsp.stat(join(dir, "fresh"))).mode & 0o777).toBe(0o600);
  });

  it("readers never see a torn file under concurrent writers", async () => {
    const file = join(dir, "big.txt");
    const versions = ["a", "b", "c", "d"].map((c) => c.repeat(512 * 1024));
    await writeFileAtomic(file, versions[0] as string);
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const text = await fsp.readFile(file, "utf8");
        expect(versions).toContain(text);
        reads++;
      }
    })();
    await Promise.all(versions.flatMap((v) => [writeFileAtomic(file, v), writeFileAtomic(file, v)]));
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("cleans up its temp file and keeps the old content when the write fails", async () => {
    const file = join(dir, "target");
    await fsp.mkdir(file); // renaming a file over a directory fails
    await expect(writeFileAtomic(file, "data")).rejects.toThrow();
    expect(await fsp.readdir(dir)).toEqual(["target"]);
  });

  it("fails without creating anything when the folder does not exist", async () => {
    await expect(writeFileAtomic(join(dir, "missing", "f"), "x")).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("readTextIfExists", () => {
  it("returns null for a missing file and the text otherwise", async () => {
    expect(await readTextIfExists(join(dir, "nope"))).toBeNull();
    await fsp.writeFile(join(dir, "yes"), "héllo");
    expect(await readTextIfExists(join(dir, "yes"))).toBe("héllo");
    await expect(readTextIfExists(dir)).rejects.toMatchObject({ code: "EISDIR" });
  });
});
