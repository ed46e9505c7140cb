import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureHubDir, hubPaths } from "@codex-autorunner/core/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateServerToken, SERVER_TOKEN_FILE } from "./token-file.js";

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "car-token-"));
  file = join(dir, SERVER_TOKEN_FILE);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe("loadOrCreateServerToken", () => {
  it("creates a long random token in a 0600 file, and reuses it on the next start", async () => {
    const first = await loadOrCreateServerToken(dir);
    expect(first.created).toBe(true);
    expect(first.file).toBe(file);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, "utf8")).toBe(`${first.token}\n`);
    expect(mode(file)).toBe(0o600);
    const again = await loadOrCreateServerToken(dir);
    expect(again).toMatchObject({ token: first.token, created: false });
    expect(readdirSync(dir).sort()).toEqual([".gitignore", SERVER_TOKEN_FILE]);
    const other = mkdtempSync(join(tmpdir(), "car-token-other-"));
    try {
      expect((await loadOrCreateServerToken(other)).token).not.toBe(first.token);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("replaces a token file that others can read, that is too short, or that is not a plain file of ours", async () => {
    const cases: Array<[string, () => void]> = [
      ["readable by the group", () => writeFileSync(file, "a".repeat(43), { mode: 0o640 })],
      ["readable by everyone", () => writeFileSync(file, "a".repeat(43), { mode: 0o644 })],
      ["too short", () => writeFileSync(file, "short\n", { mode: 0o600 })],
      ["whitespace", () => writeFileSync(file, " ".repeat(40), { mode: 0o600 })],
      ["a directory", () => mkdirSync(file, { mode: 0o700 })],
      [
        "a symlink to a readable file",
        () => {
          writeFileSync(join(dir, "elsewhere"), "b".repeat(43), { mode: 0o600 });
          symlinkSync(join(dir, "elsewhere"), file);
        },
      ],
      [
        "a FIFO",
        () => {
          execFileSync("mkfifo", ["-m", "600", file]);
        },
      ],
    ];
    if (process.getuid?.() === 0) {
      cases.push([
        "owned by another user",
        () => {
          writeFileSync(file, "c".repeat(43), { mode: 0o600 });
          chownSync(file, 65534, 65534);
        },
      ]);
    }
    for (const [what, plant] of cases) {
      rmSync(file, { recursive: true, force: true });
      plant();
      if (what === "a directory") {
        // rename() cannot replace a directory: the start fails loudly instead of using it.
        await expect(loadOrCreateServerToken(dir), what).rejects.toMatchObject({
          code: "IO_ERROR",
          message: expect.stringContaining(`Cannot write the server token to ${file}`),
        });
        continue;
      }
      const made = await loadOrCreateServerToken(dir);
      expect(made.created, what).toBe(true);
      expect(made.token, what).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(lstatSync(file).isFile(), what).toBe(true);
      expect(mode(file), what).toBe(0o600);
      expect(statSync(file).uid, what).toBe(process.getuid?.());
      expect(readFileSync(file, "utf8"), what).toBe(`${made.token}\n`);
    }
    // The symlink's target was never written through.
    expect(readFileSync(join(dir, "elsewhere"), "utf8")).toBe("b".repeat(43));
  });

  it("keeps a good hand-made token file", async () => {
    writeFileSync(file, "my-own-token-0123456789\n", { mode: 0o600 });
    chmodSync(file, 0o600);
    const made = await loadOrCreateServerToken(dir);
    expect(made).toMatchObject({ token: "my-own-token-0123456789", created: false });
  });

  it("makes sure git ignores the token: adds one line to .gitignore, once, keeping the rest", async () => {
    writeFileSync(join(dir, ".gitignore"), "state.json\nlock");
    const first = await loadOrCreateServerToken(dir);
    expect(first.ignoreAdded).toBe(true);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("state.json\nlock\nserver-token\n");
    const second = await loadOrCreateServerToken(dir);
    expect(second.ignoreAdded).toBe(false);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("state.json\nlock\nserver-token\n");
    writeFileSync(join(dir, ".gitignore"), "/server-token\n");
    expect((await loadOrCreateServerToken(dir)).ignoreAdded).toBe(false);
  });

  it("leaves a folder that ignores itself (the hub's .car-hub/) alone: nothing added, nothing announced", async () => {
    const paths = hubPaths(dir);
    await ensureHubDir(paths);
    const before = readFileSync(paths.gitignore, "utf8");
    expect(before).toMatch(/^\*$/m);
    const made = await loadOrCreateServerToken(paths.dir);
    expect(made).toMatchObject({ file: paths.serverToken, created: true, ignoreAdded: false });
    expect(readFileSync(paths.gitignore, "utf8")).toBe(before);
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "-A"], { cwd: dir });
    const staged = execFileSync("git", ["diff", "--cached", "--name-only"], { cwd: dir, encoding: "utf8" });
    expect(staged.trim()).toBe("");
  });

  it("in a git repo the token file is ignored, so `git add -A` (auto-commit) never takes it", async () => {
    execFileSync("git", ["init", "-q"], { cwd: dir });
    const state = join(dir, ".codex-autorunner");
    await loadOrCreateServerToken(state);
    execFileSync("git", ["add", "-A"], { cwd: dir });
    const staged = execFileSync("git", ["diff", "--cached", "--name-only"], { cwd: dir, encoding: "utf8" });
    expect(staged.split("\n").filter(Boolean)).toEqual([".codex-autorunner/.gitignore"]);
    expect(mode(state) & 0o077).toBe(0);
  });
});
