import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { loadConfig, updateConfigFile } from "./config-io.js";

let root: string;
let file: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-cfg-"));
  await fsp.mkdir(join(root, ".codex-autorunner"));
  file = join(root, ".codex-autorunner", "config.yml");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("loadConfig", () => {
  it("fails with CONFIG_NOT_FOUND and a hint when missing", async () => {
    const err = await loadConfig(root).catch((e: unknown) => e);
    expect(isCarError(err, "CONFIG_NOT_FOUND")).toBe(true);
    expect((err as Error).message).toContain("car init");
    expect((err as Error).message).toContain(".codex-autorunner/config.yml");
  });

  it("loads and merges over defaults, keeping the text and raw mapping", async () => {
    const text = "version: 1\nrunner:\n  sleep_seconds: 9\nmy_key: kept\n";
    await fsp.writeFile(file, text);
    const loaded = await loadConfig(root);
    expect(loaded.config.runner.sleep_seconds).toBe(9);
    expect(loaded.config.prompt.prev_run_max_chars).toBe(6000);
    expect(loaded.raw.my_key).toBe("kept");
    expect(loaded.text).toBe(text);
    expect(loaded.file).toBe(file);
  });

  it("names the repo-relative file and key in validation errors", async () => {
    await fsp.writeFile(file, "version: 1\nrunner:\n  sleep_seconds: soon\n");
    const err = await loadConfig(root).catch((e: unknown) => e);
    expect(isCarError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toContain(".codex-autorunner/config.yml");
    expect((err as { details: { key: string } }).details.key).toBe("runner.sleep_seconds");
  });
});

describe("loadConfig reads config.yml bounded and without blocking", () => {
  async function refusedWith(found: string): Promise<void> {
    const err = await loadConfig(root).catch((e: unknown) => e);
    expect(isCarError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toBe(
      `.codex-autorunner/config.yml: expected a regular file of at most 1 MiB, found ${found}`,
    );
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({
      file: ".codex-autorunner/config.yml",
      path: file,
    });
  }

  it("refuses a FIFO (no hang), a device (no endless read), a folder and a huge file", async () => {
    execFileSync("mkfifo", [file]);
    await refusedWith("a FIFO (named pipe)");
    await fsp.rm(file);
    await fsp.symlink("/dev/zero", file);
    await refusedWith("a device");
    await fsp.rm(file);
    await fsp.mkdir(file);
    await refusedWith("a folder");
    await fsp.rmdir(file);
    await fsp.writeFile(file, `version: 1\n#${"x".repeat(1_048_576)}\n`);
    await refusedWith("1048589 bytes");
  });

  it("follows a symlink to a regular file (config.yml kept in a dotfiles repo)", async () => {
    const real = join(root, "dotfiles-config.yml");
    await fsp.writeFile(real, "version: 1\nrunner:\n  sleep_seconds: 7\n");
    await fsp.symlink(real, file);
    expect((await loadConfig(root)).config.runner.sleep_seconds).toBe(7);
  });
});

describe("updateConfigFile", () => {
  it("sets a key, keeps unknown keys, writes atomically", async () => {
    await fsp.writeFile(file, "version: 1\nmy_key: kept\n");
    const updated = await updateConfigFile(root, "runner.sleep_seconds", 2);
    expect(updated.config.runner.sleep_seconds).toBe(2);
    const again = await loadConfig(root);
    expect(again.config.runner.sleep_seconds).toBe(2);
    expect(again.raw.my_key).toBe("kept");
    expect(await fsp.readdir(join(root, ".codex-autorunner"))).toEqual(["config.yml"]);
  });

  it("writes nothing when the value is invalid", async () => {
    const text = "version: 1\n";
    await fsp.writeFile(file, text);
    await expect(updateConfigFile(root, "runner.sleep_seconds", "soon")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    expect(await fsp.readFile(file, "utf8")).toBe(text);
  });
});

describe("loadConfig cache", () => {
  it("sees every change on the next call, even with the old mtime and size, and hands out copies", async () => {
    const old = new Date(Date.now() - 60_000); // old enough to be cached (not "racy")
    await fsp.writeFile(file, "runner:\n  sleep_seconds: 1\n");
    await fsp.utimes(file, old, old);
    // A file changed in the last 2 s is never cached (coarse timestamps): let its ctime age past that.
    await new Promise((r) => setTimeout(r, 2100));
    const first = await loadConfig(root);
    expect(first.config.runner.sleep_seconds).toBe(1);
    first.config.runner.sleep_seconds = 99; // the caller's copy: not the cache
    expect((await loadConfig(root)).config.runner.sleep_seconds).toBe(1);
    // Same size, same mtime, same inode (written in place): the ctime changes, so the edit is seen.
    await fsp.writeFile(file, "runner:\n  sleep_seconds: 2\n");
    await fsp.utimes(file, old, old);
    expect((await loadConfig(root)).config.runner.sleep_seconds).toBe(2);
    // An invalid edit is reported with the full parser's error, not served from the cache.
    await fsp.writeFile(file, "runner:\n  sleep_seconds: x\n");
    const err = await loadConfig(root).catch((e: unknown) => e);
    expect(isCarError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toContain("runner.sleep_seconds");
    await fsp.rm(file);
    expect(isCarError(await loadConfig(root).catch((e: unknown) => e), "CONFIG_NOT_FOUND")).toBe(true);
  });
});
