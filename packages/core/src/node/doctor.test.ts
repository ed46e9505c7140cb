import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderConfigJsonSchema } from "../config/json-schema.js";
import { runDoctor } from "./doctor.js";
import { makeTestRepo, type TestRepo } from "./engine/test-fixtures.js";
import { carPaths } from "./paths.js";

let repo: TestRepo | null = null;
afterEach(async () => {
  await repo?.cleanup();
  repo = null;
});

const byName = (r: Awaited<ReturnType<typeof runDoctor>>, name: string) =>
  r.checks.find((c) => c.name === name);

describe("runDoctor", () => {
  it("passes every check in a healthy repo, with the agent's --version output", async () => {
    repo = await makeTestRepo();
    const r = await runDoctor(repo.root);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(byName(r, "agent binary")?.detail).toBe(process.execPath);
    expect(byName(r, "agent version")?.detail).toBe(process.version);
    expect(byName(r, "doc todo")?.detail).toContain("3 outstanding, 0 done");
    expect(byName(r, "lock")?.detail).toBe("free");
  });

  it("fails the specific checks: missing doc, unknown placeholder, missing binary, corrupt state", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    await fsp.rm(paths.progress);
    await fsp.writeFile(paths.template, "Do {{TODO}} and {{BOGUS}}\n");
    const cfg = await fsp.readFile(paths.config, "utf8");
    await fsp.writeFile(paths.config, cfg.replace(/binary: .*/, 'binary: "no-such-agent-xyz"'));
    await fsp.writeFile(paths.state, "{not json");
    await fsp.writeFile(paths.lock, "999999\n");
    const r = await runDoctor(repo.root);
    expect(r.ok).toBe(false);
    expect(byName(r, "doc progress")).toMatchObject({ ok: false });
    expect(byName(r, "prompt template")?.detail).toContain("{{BOGUS}}");
    expect(byName(r, "prompt template")?.ok).toBe(false);
    expect(byName(r, "agent binary")).toMatchObject({ ok: false });
    expect(byName(r, "agent binary")?.detail).toContain("no-such-agent-xyz");
    expect(byName(r, "state")).toMatchObject({ ok: false });
    expect(byName(r, "lock")?.detail).toContain("stale");
    expect(byName(r, "config")?.ok).toBe(true);
  });

  it("keeps the schema copy config.yml points editors at current, and leaves other repos alone", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    const schemaFile = join(paths.dir, "config.schema.json");
    // makeTestRepo's config.yml has no modeline (like a repo set up before it existed): no check.
    await fsp.rm(schemaFile);
    expect(byName(await runDoctor(repo.root), "config schema")).toBeUndefined();
    await expect(fsp.stat(schemaFile)).rejects.toThrow();

    const cfg = await fsp.readFile(paths.config, "utf8");
    await fsp.writeFile(paths.config, `# yaml-language-server: $schema=./config.schema.json\n${cfg}`);
    expect(byName(await runDoctor(repo.root), "config schema")).toMatchObject({
      ok: true,
      detail: expect.stringContaining("wrote .codex-autorunner/config.schema.json"),
    });
    expect(await fsp.readFile(schemaFile, "utf8")).toBe(renderConfigJsonSchema());
    await fsp.writeFile(schemaFile, '{"from": "an older car"}\n');
    expect(byName(await runDoctor(repo.root), "config schema")?.detail).toBe(
      "updated .codex-autorunner/config.schema.json to this version of car",
    );
    expect(await fsp.readFile(schemaFile, "utf8")).toBe(renderConfigJsonSchema());
    expect(byName(await runDoctor(repo.root), "config schema")?.detail).toBe(
      ".codex-autorunner/config.schema.json is current",
    );
  });

  it("stops after the first check outside a git repository", async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), "car-doctor-"));
    try {
      const r = await runDoctor(dir);
      expect(r.ok).toBe(false);
      expect(r.checks).toHaveLength(1);
      expect(r.checks[0]).toMatchObject({ name: "git repository", ok: false });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  /** Point codex.binary at a shell script (plain args: doctor runs `<binary> --version`). */
  async function withAgentScript(script: string): Promise<string> {
    repo = await makeTestRepo();
    const bin = join(repo.side, "fake-agent");
    await fsp.writeFile(bin, script, { mode: 0o755 });
    const paths = carPaths(repo.root);
    const cfg = await fsp.readFile(paths.config, "utf8");
    await fsp.writeFile(paths.config, cfg.replace(/binary: .*/, `binary: ${JSON.stringify(bin)}`));
    return bin;
  }

  it("names a --version that hangs: timed out after N s, and returns soon after", async () => {
    // The script's child holds stdout open too: the whole group is ended, not just the script.
    const bin = await withAgentScript("#!/bin/sh\nsleep 600\n");
    const started = Date.now();
    const r = await runDoctor(repo!.root, { versionTimeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(byName(r, "agent version")).toEqual({
      name: "agent version",
      ok: false,
      detail: `${bin} --version timed out after 0.5 s`,
    });
    expect(r.ok).toBe(false);
  });

  it("gives the agent's --version a closed stdin: one that reads it answers at once", async () => {
    await withAgentScript("#!/bin/sh\ncat > /dev/null\necho 'fake-agent 1.2.3'\n");
    const r = await runDoctor(repo!.root, { versionTimeoutMs: 10_000 });
    expect(byName(r, "agent version")).toMatchObject({ ok: true, detail: "fake-agent 1.2.3" });
  });

  describe("the selected agents (runner.agent, runner.fallback_agent)", () => {
    const savedPath = process.env.PATH;
    let binDir: string | null = null;
    afterEach(async () => {
      process.env.PATH = savedPath;
      if (binDir) await fsp.rm(binDir, { recursive: true, force: true });
      binDir = null;
    });
    /** A `claude` on PATH that prints what Claude Code 2.1.332's --version prints. */
    async function fakeClaudeOnPath(): Promise<string> {
      binDir = await fsp.mkdtemp(join(tmpdir(), "car-doctor-bin-"));
      const bin = join(binDir, "claude");
      await fsp.writeFile(bin, "#!/bin/sh\necho '2.1.332 (Claude Code)'\n", { mode: 0o755 });
      process.env.PATH = `${binDir}:${savedPath ?? ""}`;
      return bin;
    }

    it("claude with codex as fallback: both checked, claude first, codex under its old names", async () => {
      const bin = await fakeClaudeOnPath();
      repo = await makeTestRepo({ runner: "  agent: claude\n  fallback_agent: codex" });
      const r = await runDoctor(repo.root, { isRoot: false, versionTimeoutMs: 10_000 });
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(byName(r, "claude binary")?.detail).toBe(bin);
      expect(byName(r, "claude version")).toMatchObject({ ok: true, detail: "2.1.332 (Claude Code)" });
      expect(byName(r, "claude permissions")).toMatchObject({ ok: true });
      expect(byName(r, "agent binary")?.detail).toBe(process.execPath);
      expect(byName(r, "agent version")?.detail).toBe(process.version);
      const names = r.checks.map((c) => c.name);
      expect(names.indexOf("claude version")).toBeLessThan(names.indexOf("agent binary"));
    });

    it("as root, bypassPermissions without IS_SANDBOX=1 fails and says how to allow it", async () => {
      await fakeClaudeOnPath();
      repo = await makeTestRepo({ runner: "  agent: claude" });
      const refused = await runDoctor(repo.root, { isRoot: true, env: {} });
      expect(refused.ok).toBe(false);
      const check = byName(refused, "claude permissions");
      expect(check?.ok).toBe(false);
      expect(check?.detail).toContain("IS_SANDBOX=1");
      expect(check?.detail).toContain("bypassPermissions");
      // codex is not selected: none of its checks.
      expect(byName(refused, "agent binary")).toBeUndefined();

      const sandboxed = await runDoctor(repo.root, { isRoot: true, env: { IS_SANDBOX: "1" } });
      expect(sandboxed.checks.filter((c) => !c.ok)).toEqual([]);
      expect(byName(sandboxed, "claude permissions")?.detail).toContain("running as root");

      // Args that do not bypass permissions (e.g. plan mode) run as root without it.
      const cfg = await fsp.readFile(carPaths(repo.root).config, "utf8");
      await fsp.writeFile(
        carPaths(repo.root).config,
        `${cfg}claude:\n  args: ["-p", "--permission-mode", "plan"]\n`,
      );
      expect(byName(await runDoctor(repo.root, { isRoot: true, env: {} }), "claude permissions")?.ok).toBe(
        true,
      );
    });

    it("a missing claude names claude.binary and the npm package; a fallback equal to the agent adds nothing", async () => {
      repo = await makeTestRepo({
        runner: "  agent: claude\n  fallback_agent: claude",
        extraYaml: 'claude:\n  binary: "no-such-claude-xyz"',
      });
      const r = await runDoctor(repo.root, { isRoot: false });
      expect(r.ok).toBe(false);
      const check = byName(r, "claude binary");
      expect(check?.ok).toBe(false);
      expect(check?.detail).toContain('"no-such-claude-xyz" not found');
      expect(check?.detail).toContain("claude.binary");
      expect(check?.detail).toContain("npm install -g @anthropic-ai/claude-code");
      expect(byName(r, "claude version")).toBeUndefined();
      expect(r.checks.filter((c) => c.name.startsWith("agent "))).toEqual([]);
    });
  });

  it("warns (without failing) when git tracks a config.yml holding server.auth_token", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    const cfg = await fsp.readFile(paths.config, "utf8");
    await fsp.writeFile(paths.config, `${cfg}server:\n  auth_token: "0123456789abcdef0123"\n`);
    const tracked = await runDoctor(repo.root);
    const check = byName(tracked, "config secrets");
    expect(check).toMatchObject({ ok: true, warn: true });
    expect(check?.detail).toContain(
      ".codex-autorunner/config.yml is tracked by git and holds server.auth_token",
    );
    expect(check?.detail).toContain("CAR_AUTH_TOKEN");
    expect(check?.detail).not.toContain("0123456789abcdef0123");
    expect(tracked.ok).toBe(true);

    execFileSync("git", ["rm", "--cached", "--quiet", ".codex-autorunner/config.yml"], { cwd: repo.root });
    const untracked = await runDoctor(repo.root);
    expect(byName(untracked, "config secrets")).toMatchObject({ ok: true });
    expect(byName(untracked, "config secrets")?.warn).toBeUndefined();
  });
  it("reports notify targets: a secret variable missing (named, never valued), a broken rule, the last failure", async () => {
    repo = await makeTestRepo();
    const paths = carPaths(repo.root);
    const cfg = await fsp.readFile(paths.config, "utf8");
    const targets = `notify:
  targets:
    - type: webhook
      url: "http://127.0.0.1:9/hook"
      secret_env: CAR_DOC_SECRET
    - type: slack
      url_env: CAR_DOC_SLACK
`;
    await fsp.writeFile(paths.config, `${cfg}${targets}`);
    const secret = "doctor-secret-value-123";
    const r = await runDoctor(repo.root, { env: { CAR_DOC_SECRET: secret } });
    expect(r.ok).toBe(false);
    expect(byName(r, "notify webhook[0]")).toMatchObject({ ok: true });
    expect(byName(r, "notify slack[1]")).toMatchObject({ ok: false });
    expect(byName(r, "notify slack[1]")?.detail).toContain("environment variable CAR_DOC_SLACK");
    expect(byName(r, "notify slack[1]")?.detail).toContain("is not set");
    const all = JSON.stringify(r.checks);
    expect(all).not.toContain(secret);
    expect(all).not.toContain("127.0.0.1:9");
    expect(byName(r, "notify delivery")).toBeUndefined();

    // A rule the config parser checks (url and url_env both): the config check names the key.
    await fsp.writeFile(paths.config, `${cfg}${targets}      url: "http://127.0.0.1:9/slack"\n`);
    const broken = await runDoctor(repo.root, { env: { CAR_DOC_SECRET: secret } });
    expect(byName(broken, "config")).toMatchObject({ ok: false });
    expect(byName(broken, "config")?.detail).toContain(
      "notify.targets[1].url_env: expected either url or url_env",
    );

    // The secret set, the rule kept: every target passes; the last failed delivery is a warning.
    await fsp.writeFile(
      paths.config,
      `${cfg}notify:\n  targets:\n    - type: slack\n      url_env: CAR_DOC_SLACK\n`,
    );
    const at = "2026-12-04T22:00:00.000Z";
    await fsp.writeFile(
      paths.state,
      JSON.stringify({
        last_run_id: 2,
        status: "idle",
        last_exit_code: 0,
        last_run_started_at: null,
        last_run_finished_at: null,
        runner_pid: null,
        notify_error: { target: "slack[0]", event: "loop_stopped", error: "HTTP 404", at },
      }),
    );
    const ok = await runDoctor(repo.root, { env: { CAR_DOC_SLACK: "https://hooks.example.test/T0/B0/xyz" } });
    expect(ok.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName(ok, "notify slack[0]")).toMatchObject({ ok: true });
    expect(byName(ok, "notify delivery")).toMatchObject({ ok: true, warn: true });
    expect(byName(ok, "notify delivery")?.detail).toBe(
      `the last failed: slack[0] (loop_stopped): HTTP 404 at ${at}`,
    );
    expect(JSON.stringify(ok.checks)).not.toContain("hooks.example.test");
  });
});
