import { execFileSync } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderConfigJsonSchema } from "../config/json-schema.js";
import { isCarError } from "../errors.js";
import { countTodo } from "../todo/parse.js";
import { loadConfig } from "./config-io.js";
import { initRepo } from "./init.js";
import { carPaths } from "./paths.js";
import { readState } from "./state-store.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-init-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("initRepo", () => {
  it("refuses a folder outside git with a --git-init hint, creating nothing", async () => {
    const err = await initRepo(dir).catch((e: unknown) => e);
    expect(isCarError(err, "NOT_A_REPO")).toBe(true);
    expect((err as Error).message).toContain("--git-init");
    expect(existsSync(join(dir, ".codex-autorunner"))).toBe(false);
  });

  it("with gitInit creates the repo and every file; the result loads and ignores only runtime files", async () => {
    const r = await initRepo(dir, { gitInit: true });
    expect(r.root).toBe(dir);
    expect(existsSync(join(dir, ".git"))).toBe(true);
    expect(r.created.sort()).toEqual(
      [
        ".codex-autorunner/.gitignore",
        ".codex-autorunner/OPINIONS.md",
        ".codex-autorunner/PROGRESS.md",
        ".codex-autorunner/TODO.md",
        ".codex-autorunner/codex-autorunner.log",
        ".codex-autorunner/config.schema.json",
        ".codex-autorunner/config.yml",
        ".codex-autorunner/state.json",
      ].sort(),
    );
    expect(r.skipped).toEqual([]);
    const paths = carPaths(dir);
    expect((await loadConfig(dir)).config.version).toBe(1);
    expect((await readState(paths)).status).toBe("idle");
    expect(countTodo(await fsp.readFile(paths.todo, "utf8")).outstanding).toBeGreaterThanOrEqual(2);

    for (const f of [
      "state.json",
      "codex-autorunner.log",
      "lock",
      "stop",
      "runner.out",
      "runs/1.json",
      "x.log.idx",
      "server-token",
    ]) {
      await fsp.mkdir(join(paths.dir, "runs"), { recursive: true });
      await fsp.writeFile(join(paths.dir, f), "x");
    }
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: dir,
      encoding: "utf8",
    });
    const listed = status
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3))
      .sort();
    expect(listed).toEqual(
      [
        ".codex-autorunner/.gitignore",
        ".codex-autorunner/OPINIONS.md",
        ".codex-autorunner/PROGRESS.md",
        ".codex-autorunner/TODO.md",
        ".codex-autorunner/config.yml",
      ].sort(),
    );
  });

  it("points editors at the JSON Schema it writes beside config.yml (ignored by git)", async () => {
    await initRepo(dir, { gitInit: true });
    const paths = carPaths(dir);
    const config = await fsp.readFile(paths.config, "utf8");
    expect(config.split("\n")[0]).toBe("# yaml-language-server: $schema=./config.schema.json");
    const schemaFile = join(paths.dir, "config.schema.json");
    const schema = await fsp.readFile(schemaFile, "utf8");
    expect(schema).toBe(renderConfigJsonSchema());
    expect(Object.keys(JSON.parse(schema).properties)).toContain("runner");
    // git sees config.yml but not the copy (each machine's car keeps its own).
    const ignored = execFileSync("git", ["check-ignore", "-v", schemaFile], { cwd: dir, encoding: "utf8" });
    expect(ignored).toContain(".codex-autorunner/.gitignore");

    // A copy from another version of car is replaced by --force.
    await fsp.writeFile(schemaFile, "{}\n");
    const again = await initRepo(dir, { force: true });
    expect(again.created).toContain(".codex-autorunner/config.schema.json");
    expect(await fsp.readFile(schemaFile, "utf8")).toBe(schema);
  });

  it("a second init is ALREADY_INITIALIZED; --force rewrites the config but keeps the user's docs", async () => {
    await initRepo(dir, { gitInit: true });
    const paths = carPaths(dir);
    await fsp.writeFile(paths.todo, "- [ ] my own task\n");
    await fsp.writeFile(paths.config, "version: 1\nrunner:\n  sleep_seconds: 1\n");
    const err = await initRepo(dir).catch((e: unknown) => e);
    expect(isCarError(err, "ALREADY_INITIALIZED")).toBe(true);
    expect(await fsp.readFile(paths.config, "utf8")).toContain("sleep_seconds: 1");

    const r = await initRepo(dir, { force: true });
    expect(r.created).toContain(".codex-autorunner/config.yml");
    expect(r.skipped).toContain(".codex-autorunner/TODO.md");
    expect(await fsp.readFile(paths.todo, "utf8")).toBe("- [ ] my own task\n");
    expect((await loadConfig(dir)).config.runner.sleep_seconds).toBe(5);
  });

  it("with an agent writes the starter for it (runner.agent), the rest as the default starter", async () => {
    await initRepo(dir, { gitInit: true, agent: "claude" });
    const paths = carPaths(dir);
    const text = await fsp.readFile(paths.config, "utf8");
    expect(text).toMatch(/^ {2}agent: "claude"/m);
    const { config } = await loadConfig(dir);
    expect(config.runner.agent).toBe("claude");
    expect(config.runner.fallback_agent).toBeNull();
    // Without one: the spec's default, and the only line that differs is runner.agent's.
    const codex = await initRepo(dir, { force: true });
    expect(codex.created).toContain(".codex-autorunner/config.yml");
    const plain = await fsp.readFile(paths.config, "utf8");
    expect((await loadConfig(dir)).config.runner.agent).toBe("codex");
    const differing = text.split("\n").filter((line, i) => line !== plain.split("\n")[i]);
    expect(differing).toEqual([expect.stringMatching(/^ {2}agent: "claude"/)]);
  });

  it("inits at the git root when given a subfolder", async () => {
    execFileSync("git", ["init", "--quiet"], { cwd: dir });
    await fsp.mkdir(join(dir, "sub"));
    const r = await initRepo(join(dir, "sub"));
    expect(r.root).toBe(dir);
    expect(existsSync(join(dir, ".codex-autorunner", "config.yml"))).toBe(true);
  });
});
