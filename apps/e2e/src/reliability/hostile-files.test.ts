import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCar } from "@codex-autorunner/testkit";
import { describe, expect } from "vitest";
import { scenario } from "../reliability-helpers/record.js";
import { carWithPeak, hasStackTrace, makeRepo, type Repo } from "../reliability-helpers/repo.js";

const G = "Hostile files";

type FileName = Parameters<Repo["file"]>[0];

/** Every regular file under .codex-autorunner, by name. */
function snapshot(repo: Repo): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(repo.dir)) {
    const p = join(repo.dir, f);
    if (statSync(p).isFile()) out.set(f, readFileSync(p));
  }
  return out;
}

/** Files changed or removed (the log may only grow). */
function changed(before: Map<string, Buffer>, repo: Repo): string[] {
  const now = snapshot(repo);
  const out: string[] = [];
  for (const [name, buf] of before) {
    const after = now.get(name);
    if (!after) out.push(`${name} removed`);
    else if (
      name === "codex-autorunner.log" ? !after.subarray(0, buf.length).equals(buf) : !after.equals(buf)
    )
      out.push(`${name} changed`);
  }
  return out;
}

/** Deterministic "random" bytes (SHA-256 chain), so every run feeds the same binary file. */
function noise(n: number): Buffer {
  const out: Buffer[] = [];
  let block = createHash("sha256").update("car-reliability").digest();
  for (let len = 0; len < n; len += block.length) {
    out.push(block);
    block = createHash("sha256").update(block).digest();
  }
  return Buffer.concat(out).subarray(0, n);
}

interface Case {
  name: string;
  provoked: string;
  file: FileName;
  content: (repo: Repo) => string | Buffer;
  /** Patterns the error must contain (file, key, expectation). */
  mentions: RegExp[];
}

/** The generated config's agent settings, so only the key under test is wrong. */
const agentYaml = (repo: Repo) => {
  const cfg = JSON.parse(readFileSync(repo.file("config"), "utf8")) as { codex: unknown };
  return `codex: ${JSON.stringify(cfg.codex)}\n`;
};
const yaml = (s: string) => (repo: Repo) => agentYaml(repo) + s;

const CASES: Case[] = [
  {
    name: "config.yml: malformed YAML",
    provoked: "an unclosed flow mapping on line 3",
    file: "config",
    content: yaml("version: 1\nrunner:\n  x: {sleep_seconds: 0\n  y: [\n"),
    mentions: [/config\.yml/, /line \d+/i],
  },
  {
    name: "config.yml: wrong type",
    provoked: 'runner.sleep_seconds: "soon"',
    file: "config",
    content: yaml("version: 1\nrunner:\n  sleep_seconds: soon\n"),
    mentions: [/config\.yml/, /runner\.sleep_seconds/, /soon/, /number/],
  },
  {
    name: "config.yml: wrong type (list expected)",
    provoked: "docs.extras: a string",
    file: "config",
    content: yaml("version: 1\ndocs:\n  extras: notalist\n"),
    mentions: [/config\.yml/, /docs\.extras/],
  },
  {
    name: "config.yml: wrong top-level type",
    provoked: "the whole file is a YAML list",
    file: "config",
    content: () => "- a\n- b\n",
    mentions: [/config\.yml/],
  },
  {
    name: "config.yml: unknown version",
    provoked: "version: 2",
    file: "config",
    content: yaml("version: 2\n"),
    mentions: [/config\.yml/, /version/, /\b2\b/],
  },
  {
    name: "state.json: corrupt JSON",
    provoked: "truncated JSON",
    file: "state",
    content: () => '{"last_run_id": 3, "status": "runn',
    mentions: [/state\.json/],
  },
  {
    name: "state.json: empty",
    provoked: "0-byte file",
    file: "state",
    content: () => "",
    mentions: [/state\.json/],
  },
  {
    name: "state.json: binary",
    provoked: "4 KiB of random bytes",
    file: "state",
    content: () => noise(4096),
    mentions: [/state\.json/],
  },
  {
    name: "state.json: wrong types",
    provoked: "last_run_id is a string, status unknown",
    file: "state",
    content: () =>
      '{"last_run_id":"three","status":"sleepy","last_exit_code":null,"last_run_started_at":null,"last_run_finished_at":null,"runner_pid":null}',
    mentions: [/state\.json/],
  },
  {
    name: "lock: corrupt JSON",
    provoked: '`{"pid": ` (truncated)',
    file: "lock",
    content: () => '{"pid": ',
    mentions: [/lock/],
  },
  { name: "lock: empty", provoked: "0-byte lock file", file: "lock", content: () => "", mentions: [/lock/] },
  {
    name: "lock: binary",
    provoked: "512 random bytes",
    file: "lock",
    content: () => noise(512),
    mentions: [/lock/],
  },
  {
    name: "TODO.md: 50 MB",
    provoked: "TODO.md of 50 MB of task items",
    file: "todo",
    content: () => "- [ ] a task item that repeats\n".repeat(Math.ceil((50 * 1024 * 1024) / 30)),
    mentions: [/TODO\.md/],
  },
  {
    name: "TODO.md: binary",
    provoked: "64 KiB of random bytes with NULs",
    file: "todo",
    content: () => Buffer.concat([noise(65536), Buffer.alloc(64)]),
    mentions: [/TODO\.md/],
  },
  {
    name: "prompt.txt: unknown placeholder",
    provoked: "template uses {{TODO}} and {{NOT_A_PLACEHOLDER}}",
    file: "template",
    content: () => "Do this:\n{{TODO}}\n{{NOT_A_PLACEHOLDER}}\n",
    mentions: [/prompt\.txt/, /NOT_A_PLACEHOLDER/],
  },
];

describe(G, () => {
  for (const c of CASES) {
    scenario(G, `${c.name} → specific error, exit 1, nothing overwritten`, c.provoked, async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      // A previous run's files exist, so "nothing overwritten" covers state and log too.
      const first = await repo.car(["once", "--quiet"], { env: repo.env("silent") });
      expect(first.code, first.stderr).toBe(0);
      const content = c.content(repo);
      writeFileSync(repo.file(c.file), content);
      const before = snapshot(repo);
      const r = await repo.car(["once", "--quiet"], { env: repo.env("silent") });
      ctx.fuzzed(1);
      expect(r.code, `exit code (stdout ${r.stdout.slice(0, 200)} stderr ${r.stderr.slice(0, 300)})`).toBe(1);
      for (const m of c.mentions) expect(r.stderr, "error message").toMatch(m);
      expect(hasStackTrace(r.stderr), `stack trace shown: ${r.stderr.slice(0, 400)}`).toBe(false);
      // state.json is the runner's: it may record the failure (status error), but only when it is not
      // the file under test, and it must still parse.
      const diff = changed(before, repo).filter((d) => c.file === "state" || d !== "state.json changed");
      if (c.file !== "state") JSON.parse(readFileSync(repo.file("state"), "utf8"));
      ctx.lost(diff.length);
      expect(diff, "files changed by the failed command").toEqual([]);
      expect(readFileSync(repo.file("log"), "utf8")).not.toContain("=== run 2 start ===");
      ctx.note(`"${(r.stderr.trim().split("\n")[0] ?? "").slice(0, 140)}"`);
    });
  }

  scenario(
    G,
    "config.yml: huge (20 MB of unknown keys) → loads or fails clearly, never hangs or rewrites",
    "a valid config plus a 20 MB unknown `notes` key",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const huge = `${agentYaml(repo)}version: 1\nrunner: {sleep_seconds: 0}\nnotes:\n${"  - a note the user keeps for their own tooling, repeated\n".repeat(360_000)}`;
      writeFileSync(repo.file("config"), huge);
      const { result: r, peakMb } = await carWithPeak(repo, ["once", "--quiet"], repo.env("silent"), 120_000);
      ctx.metric("config_peak_rss_mb", peakMb);
      expect(r.signal, "not hung").toBe(null);
      expect([0, 1], r.stderr.slice(0, 300)).toContain(r.code);
      if (r.code === 1) expect(r.stderr).toMatch(/config\.yml/);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(readFileSync(repo.file("config"), "utf8") === huge, "config.yml unchanged").toBe(true);
      ctx.note(
        r.code === 0
          ? `loaded and ran (peak ${peakMb} MB)`
          : `refused: ${r.stderr.trim().split("\n")[0]?.slice(0, 120)}`,
      );
    },
  );

  scenario(
    G,
    "config.yml: YAML alias bomb → bounded memory, clear outcome",
    "nine levels of nine-fold aliases under an unknown key (387M nodes if expanded); runner under a 384 MB heap cap",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const names = "abcdefghi".split("");
      let bomb = `${agentYaml(repo)}version: 1\nrunner: {sleep_seconds: 0}\nbomb:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
      for (let i = 1; i < names.length; i++)
        bomb += `  ${names[i]}: &${names[i]} [${Array(9)
          .fill(`*${names[i - 1]}`)
          .join(",")}]\n`;
      writeFileSync(repo.file("config"), bomb);
      const { result: r, peakMb } = await carWithPeak(
        repo,
        ["once", "--quiet"],
        repo.env("silent"),
        30_000,
        // A heap cap turns a runaway expansion into a quick crash instead of gigabytes on a shared machine.
        "--max-old-space-size=384",
      );
      ctx.metric("config_peak_rss_mb", peakMb);
      expect(r.signal, `ended by ${r.signal}: hung, or out of memory under a 384 MB heap cap`).toBe(null);
      expect([0, 1], r.stderr.slice(0, 300)).toContain(r.code);
      if (r.code === 1) expect(r.stderr).toMatch(/config\.yml/);
      expect(peakMb).toBeLessThan(500);
      expect(readFileSync(repo.file("config"), "utf8")).toBe(bomb);
      ctx.note(`exit ${r.code}, peak ${peakMb} MB`);
    },
  );

  scenario(
    G,
    "missing TODO.md → specific error naming it",
    "TODO.md removed before `car run`",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const { unlinkSync } = await import("node:fs");
      unlinkSync(repo.file("todo"));
      const r = await repo.car(["run", "--quiet"], { env: repo.env("silent") });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/TODO\.md/);
      expect(existsSync(repo.file("todo")), "not recreated").toBe(false);
      ctx.note(`"${(r.stderr.trim().split("\n")[0] ?? "").slice(0, 140)}"`);
    },
  );

  scenario(
    G,
    "TODO whose only open items sit in a code fence and an HTML comment → no run, exit 0 (no endless loop)",
    "TODO.md: one done item, `- [ ]` examples inside ``` and ~~~ fences and inside <!-- -->; `car run`",
    async (ctx) => {
      const todo = [
        "# TODO",
        "- [x] real item, done",
        "```md",
        "- [ ] example inside a fence",
        "```",
        "~~~~",
        "* [ ] another example",
        "~~~~",
        "<!--",
        "- [ ] commented out",
        "-->",
        "<!-- - [ ] inline comment -->",
        "",
      ].join("\n");
      const repo = makeRepo({ todo });
      ctx.defer(() => repo.cleanup());
      const r = await repo.car(["run", "--quiet"], { env: repo.env("silent"), timeoutMs: 30_000 });
      expect(r.signal, "did not loop until killed").toBe(null);
      expect(r.code, r.stderr).toBe(0);
      const log = existsSync(repo.file("log")) ? readFileSync(repo.file("log"), "utf8") : "";
      expect(log).not.toContain("=== run 1 start ===");
      expect(readFileSync(repo.file("todo"), "utf8")).toBe(todo);
      ctx.note(`exit 0, no run: "${(r.stdout + r.stderr).trim().split("\n")[0]?.slice(0, 100)}"`);
    },
  );

  scenario(
    G,
    "hostile CLI arguments → usage error, no stack trace, nothing written",
    "`car log --tail -5 / abc / 1e309`, `car log --run ../x / -1`, `car edit ../../etc/passwd`, `car once --repo /nonexistent`",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const first = await repo.car(["once", "--quiet"], { env: repo.env("silent") });
      expect(first.code).toBe(0);
      const before = snapshot(repo);
      const cases: string[][] = [
        ["log", "--tail", "-5"],
        ["log", "--tail", "abc"],
        ["log", "--tail", "1e309"],
        ["log", "--run", "../x"],
        ["log", "--run", "-1"],
        ["edit", "../../etc/passwd"],
        ["once", "--bogus-flag"],
      ];
      for (const args of cases) {
        const r = await repo.car(args, { env: { ...repo.env("silent"), EDITOR: "true", VISUAL: "true" } });
        expect([1, 2], `car ${args.join(" ")}: exit ${r.code} ${r.stderr.slice(0, 200)}`).toContain(r.code);
        expect(r.stderr.trim().length, `car ${args.join(" ")} explains itself`).toBeGreaterThan(0);
        expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      }
      const nowhere = await runCar(["once", "--repo", join(repo.side, "does-not-exist")], { cwd: repo.side });
      expect([1, 2]).toContain(nowhere.code);
      expect(hasStackTrace(nowhere.stderr)).toBe(false);
      expect(changed(before, repo).filter((d) => d !== "state.json changed")).toEqual([]);
      ctx.fuzzed(cases.length + 1);
      ctx.note(`${cases.length + 1} bad invocations: exit 1/2 with a message each`);
    },
  );
});
