import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newRunRecord } from "@codex-autorunner/core";
import { carBinPath, makeTempRepo, runCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { describe, expect, it } from "vitest";
import { readLog, statusJson, todoPath } from "./test-support.js";

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "car-cli-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("car init (built bin)", () => {
  it("fails without .git unless --git-init, then creates every file", async () => {
    const t = tempDir();
    try {
      const refused = await runCar(["init", t.dir], { cwd: t.dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^car: .*git/m);
      expect(refused.stderr).toContain("--git-init");
      expect(existsSync(join(t.dir, ".codex-autorunner", "config.yml"))).toBe(false);

      const ok = await runCar(["init", "--git-init", t.dir], { cwd: t.dir });
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(existsSync(join(t.dir, ".git"))).toBe(true);
      for (const f of ["config.yml", "TODO.md", "PROGRESS.md", "OPINIONS.md", ".gitignore"]) {
        expect(existsSync(join(t.dir, ".codex-autorunner", f)), f).toBe(true);
      }
      expect(ok.stdout).toContain("TODO.md");
    } finally {
      t.cleanup();
    }
  });

  it("--agent claude writes runner.agent: claude; an unknown agent is a usage error naming the choices", async () => {
    const t = tempDir();
    try {
      const bad = await runCar(["init", "--git-init", "--agent", "gemini", t.dir], { cwd: t.dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('Argument: agent, Given: "gemini", Choices: "codex", "claude"');
      expect(existsSync(join(t.dir, ".codex-autorunner"))).toBe(false);

      const ok = await runCar(["init", "--git-init", "--agent", "claude", t.dir], { cwd: t.dir });
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(readFileSync(join(t.dir, ".codex-autorunner", "config.yml"), "utf8")).toMatch(
        /^ {2}agent: "claude"/m,
      );
      const status = await runCar(["status", "--json"], { cwd: t.dir });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout).agents).toEqual({
        primary: "claude",
        fallback: null,
        next: "claude",
        limits: [],
      });
    } finally {
      t.cleanup();
    }
  });

  it("refuses to overwrite without --force and keeps the user's files", async () => {
    const repo = makeTempRepo({ useCli: true, todo: ["mine, do not lose"] });
    try {
      const again = await runCar(["init"], { cwd: repo.root });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("--force");
      expect(readFileSync(todoPath(repo.root), "utf8")).toContain("mine, do not lose");

      const cfg = join(repo.dir, "config.yml");
      expect(readFileSync(cfg, "utf8")).toContain("stand-in-agent.mjs");
      const forced = await runCar(["init", "--force"], { cwd: repo.root });
      expect(forced.code).toBe(0);
      // --force replaces the config; the docs are the user's work and are never replaced.
      expect(readFileSync(cfg, "utf8")).not.toContain("stand-in-agent.mjs");
      expect(readFileSync(todoPath(repo.root), "utf8")).toContain("mine, do not lose");
    } finally {
      repo.cleanup();
    }
  });

  it("--repo walks up from a subfolder to the git root", async () => {
    const repo = makeTempRepo();
    try {
      const sub = join(repo.root, "src", "deep");
      mkdirSync(sub, { recursive: true });
      const r = await runCar(["status", "--json", "--repo", sub], { cwd: tmpdir() });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).root).toBe(repo.root);
    } finally {
      repo.cleanup();
    }
  });
});

describe("car doctor (built bin)", () => {
  it("exits 0 when everything is in place and 1 with a FAIL line when something is not", async () => {
    const repo = makeTempRepo();
    try {
      const good = await runCar(["doctor"], { cwd: repo.root });
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/^ok\s/m);
      expect(good.stdout).not.toContain("FAIL");

      rmSync(todoPath(repo.root));
      const bad = await runCar(["doctor"], { cwd: repo.root });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^FAIL\s.*TODO/im);
    } finally {
      repo.cleanup();
    }
  });

  it("fails when the agent binary does not exist", async () => {
    const repo = makeTempRepo({ config: { codex: { binary: "/nonexistent/codex-binary", args: [] } } });
    try {
      const r = await runCar(["doctor"], { cwd: repo.root });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("/nonexistent/codex-binary");
    } finally {
      repo.cleanup();
    }
  });
});

describe("car status (built bin)", () => {
  it("--json through a pipe arrives whole, however large (the exit waits for the pipe)", async () => {
    const items = Array.from(
      { length: 3000 },
      (_, i) => `item ${i} with a fairly long description to fill it`,
    );
    const repo = makeTempRepo({ todo: items });
    try {
      // A shell pipe (a kernel pipe: 64 KiB buffered; node's own stdio pipes hid the cut).
      const out = execFileSync("sh", ["-c", `"${process.execPath}" "${carBinPath()}" status --json | cat`], {
        cwd: repo.root,
        maxBuffer: 16 * 1024 * 1024,
      }).toString();
      expect(out.length).toBeGreaterThan(200_000);
      const body = JSON.parse(out) as { todo_items: Array<{ text: string }> };
      expect(body.todo_items.map((t) => t.text)).toEqual(items);
    } finally {
      repo.cleanup();
    }
  });

  it("a run that went to the fallback: its agent, cost, the primary's limit and the next run's agent", async () => {
    const repo = makeTempRepo({ config: { runner: { agent: "codex", fallback_agent: "claude" } } });
    try {
      const until = new Date(Date.now() + 2 * 86_400_000).toISOString();
      const record = {
        ...newRunRecord({ id: 1, todoBefore: { outstanding: 3, done: 0 }, backend: "claude-json" }),
        agent: "claude",
        fallback_from: "codex",
        finished_at: new Date().toISOString(),
        duration_ms: 12_000,
        exit_code: 0,
        outcome: "completed",
        cost_usd: 0.0421,
      };
      mkdirSync(join(repo.dir, "runs"));
      writeFileSync(join(repo.dir, "runs", "1.json"), JSON.stringify(record));
      writeFileSync(
        join(repo.dir, "state.json"),
        JSON.stringify({
          status: "idle",
          last_run_id: 1,
          last_exit_code: 0,
          last_run_started_at: record.started_at,
          last_run_finished_at: record.finished_at,
          runner_pid: null,
          agent_limits: { codex: { until, message: "usage limit reached" } },
          cost_total_usd: 0.0421,
        }),
      );
      const human = await runCar(["status"], { cwd: repo.root });
      expect(human.stderr).toBe("");
      expect(human.stdout).toMatch(/^agent: +claude \(fallback from codex\)$/m);
      expect(human.stdout).toMatch(/^cost: +last run \$0\.0421, total \$0\.0421$/m);
      expect(human.stdout).toContain(`limited:    codex until ${until} (in 4`);
      expect(human.stdout).toMatch(/^next run: +claude \(fallback while codex is usage-limited\)$/m);
      const json = await statusJson(repo.root);
      expect(json.agents).toEqual({
        primary: "codex",
        fallback: "claude",
        next: "claude",
        limits: [{ agent: "codex", until, message: "usage limit reached" }],
      });
      expect(json.cost_usd).toEqual({ last_run: 0.0421, total: 0.0421 });
      expect(json.last_run).toMatchObject({ agent: "claude", fallback_from: "codex" });
    } finally {
      repo.cleanup();
    }
  });
});

describe("bad config and bad usage (built bin)", () => {
  it("a schema violation stops status and run with exit 1, naming the file and key", async () => {
    const repo = makeTempRepo();
    try {
      const cfg = join(repo.dir, "config.yml");
      writeFileSync(cfg, "version: 1\nrunner:\n  sleep_seconds: soon\n");
      for (const cmd of [["status"], ["run"], ["doctor"]]) {
        const r = await runCar(cmd, { cwd: repo.root });
        expect(r.code, cmd.join(" ")).toBe(1);
        expect(r.stderr + r.stdout).toContain("config.yml");
        expect(r.stderr + r.stdout).toContain("runner.sleep_seconds");
      }
      const r = await runCar(["run"], { cwd: repo.root });
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readLog(repo.root)).not.toContain("=== run 1 start ===");
    } finally {
      repo.cleanup();
    }
  });

  it("malformed YAML names the line; another version is a clear error", async () => {
    const repo = makeTempRepo();
    try {
      const cfg = join(repo.dir, "config.yml");
      writeFileSync(cfg, "version: 1\nrunner: [unclosed\n");
      const yaml = await runCar(["status"], { cwd: repo.root });
      expect(yaml.code).toBe(1);
      expect(yaml.stderr).toContain("config.yml");
      expect(yaml.stderr).toMatch(/line \d+/);

      writeFileSync(cfg, "version: 2\n");
      const version = await runCar(["status"], { cwd: repo.root });
      expect(version.code).toBe(1);
      expect(version.stderr).toMatch(/version/i);
    } finally {
      repo.cleanup();
    }
  });

  it("outside a git repo, commands exit 1 with a hint", async () => {
    const t = tempDir();
    try {
      const r = await runCar(["status"], { cwd: t.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^car: .*git/m);
    } finally {
      t.cleanup();
    }
  });

  it("a repo without `car init` says to run it", async () => {
    const t = tempDir();
    try {
      await import("node:child_process").then((cp) => cp.execFileSync("git", ["init", "-q"], { cwd: t.dir }));
      const r = await runCar(["run"], { cwd: t.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("car init");
    } finally {
      t.cleanup();
    }
  });

  it("unknown command, unknown option and no command exit 2", async () => {
    const unknown = await runCar(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^car: .*frobnicate/m);
    const option = await runCar(["status", "--bogus"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("bogus");
    const none = await runCar([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Commands:");
  });

  it("--help lists every command and exits 0; per-command help has examples", async () => {
    const help = await runCar(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of [
      "init",
      "run",
      "once",
      "resume",
      "stop",
      "kill",
      "status",
      "log",
      "edit",
      "doctor",
      "serve",
      "steer",
      "notify",
    ]) {
      expect(help.stdout).toMatch(new RegExp(`car ${cmd}\\b`));
    }
    const run = await runCar(["run", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--quiet");
    expect(run.stdout).toContain("Examples:");
  });
});

describe("start-up fast paths (built bin)", () => {
  it("`car --help` and bare `car` print the same text yargs renders", async () => {
    const saved = await runCar(["--help"]);
    const live = await runCar(["--help", "--repo", "."]); // not a fast path: rendered by yargs
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(live.stdout);
    const bare = await runCar([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(live.stdout);
  });

  it("`status` through the fast path and through yargs give the same JSON and errors", async () => {
    const repo = makeTempRepo();
    try {
      const fast = await runCar(["status", "--json", `--repo=${repo.root}`], { cwd: tmpdir() });
      const slow = await runCar(["status", "--json", "--repo", repo.root, "--no-help"], { cwd: tmpdir() });
      expect(fast.code).toBe(0);
      expect(slow.code).toBe(0);
      expect(JSON.parse(fast.stdout)).toEqual(JSON.parse(slow.stdout));
      const missing = await runCar(["status", "--repo", join(repo.root, "nope")]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("no such directory");
    } finally {
      repo.cleanup();
    }
  });
});

describe("car edit (built bin)", () => {
  it("runs $EDITOR split into words (with quotes) on the doc's path", async () => {
    const repo = makeTempRepo();
    const t = tempDir();
    try {
      const script = join(t.dir, "my editor.mjs");
      writeFileSync(
        script,
        [
          'import { appendFileSync } from "node:fs";',
          "const a = process.argv.slice(2);",
          'appendFileSync(a[a.length - 1], "- [ ] added by " + a[0] + "\\n");',
          "",
        ].join("\n"),
      );
      chmodSync(script, 0o755);
      const editor = `"${process.execPath}" '${script}' --flag`;
      const r = await runCar(["edit", "todo"], {
        cwd: repo.root,
        env: { VISUAL: undefined, EDITOR: editor },
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(readFileSync(todoPath(repo.root), "utf8")).toContain("- [ ] added by --flag");

      const visual = await runCar(["edit", "opinions"], {
        cwd: repo.root,
        env: { VISUAL: editor, EDITOR: "false" },
      });
      expect(visual.code).toBe(0);
      expect(readFileSync(join(repo.dir, "OPINIONS.md"), "utf8")).toContain("added by --flag");

      // An extra doc, by its configured name (case-insensitive), at its configured path.
      const cfg = join(repo.dir, "config.yml");
      const config = JSON.parse(readFileSync(cfg, "utf8"));
      config.docs = { extras: [{ name: "spec", path: "docs/spec.md" }] };
      writeFileSync(cfg, JSON.stringify(config));
      mkdirSync(join(repo.root, "docs"));
      const extra = await runCar(["edit", "SPEC"], { cwd: repo.root, env: { VISUAL: editor } });
      expect(extra.code).toBe(0);
      expect(readFileSync(join(repo.root, "docs", "spec.md"), "utf8")).toContain("added by --flag");
      const bad = await runCar(["edit", "nonsense"], { cwd: repo.root, env: { VISUAL: editor } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("todo, progress, opinions, spec");
    } finally {
      repo.cleanup();
      t.cleanup();
    }
  });

  it("an unknown doc kind exits 1 listing the valid kinds; a failing editor exits 1", async () => {
    const repo = makeTempRepo();
    try {
      const r = await runCar(["edit", "nonsense"], { cwd: repo.root, env: { EDITOR: "true" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("todo, progress, opinions");
      const failing = await runCar(["edit", "todo"], {
        cwd: repo.root,
        env: { VISUAL: undefined, EDITOR: "false" },
      });
      expect(failing.code).toBe(1);
      const missing = await runCar(["edit", "todo"], {
        cwd: repo.root,
        env: { VISUAL: undefined, EDITOR: "/nonexistent/editor --wait" },
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("/nonexistent/editor");
    } finally {
      repo.cleanup();
    }
  });
});

describe("car log --follow (built bin)", () => {
  it("streams lines of a new run until interrupted (exit 130)", async () => {
    const repo = makeTempRepo();
    try {
      expect((await runCar(["once"], { cwd: repo.root })).code).toBe(0);
      const follow = spawnCar(["log", "--follow"], { cwd: repo.root });
      await waitFor(() => follow.stdout().includes("=== run 1 end (code 0) ==="), {
        what: "the last run's block",
      });
      expect((await runCar(["once"], { cwd: repo.root })).code).toBe(0);
      await waitFor(() => follow.stdout().includes("=== run 2 end (code 0) ==="), {
        timeoutMs: 30_000,
        what: "run 2 to arrive through --follow",
      });
      follow.child.kill("SIGINT");
      const r = await follow.exited;
      expect(r.code).toBe(130);
      expect(r.stdout.match(/=== run 2 start ===/g)).toHaveLength(1);
      expect(r.stdout).toContain("ticked: second task");
    } finally {
      repo.cleanup();
    }
  });
});
