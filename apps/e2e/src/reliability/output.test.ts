import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@codex-autorunner/testkit";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { assertWellFormed } from "../reliability-helpers/crash.js";
import { isLive, killTree } from "../reliability-helpers/proc.js";
import { type ScenarioContext, scenario } from "../reliability-helpers/record.js";
import {
  carWithPeak,
  endMarker,
  makeRepo,
  parseLog,
  type Repo,
  readJson,
  readLog,
} from "../reliability-helpers/repo.js";

const G = "Agent output torture";
/** Generous bound for the runner's peak RSS whatever the agent prints. */
const PEAK_MB_LIMIT = 200;
const MAX_LOG_LINE = 64 * 1024;

function assertStateAfterRun(repo: Repo, run: number, code: number): void {
  const state = readJson(repo.file("state"));
  expect(state.last_run_id).toBe(run);
  expect(state.last_exit_code).toBe(code);
  expect(state.status).toBe(code === 0 ? "idle" : "error");
}

function assertValidUtf8NoNul(repo: Repo): Buffer {
  const buf = readFileSync(repo.file("log"));
  expect(buf.includes(0), "NUL byte in the log").toBe(false);
  new TextDecoder("utf-8", { fatal: true }).decode(buf); // throws on invalid UTF-8
  return buf;
}

async function tortureRun(
  repo: Repo,
  ctx: ScenarioContext,
  mode: string,
  extra: Record<string, string> = {},
) {
  const { result, peakMb } = await carWithPeak(repo, ["once", "--quiet"], repo.env(mode, extra));
  expect(result.code, result.stderr.slice(0, 500)).toBe(0);
  ctx.metric("runner_peak_rss_mb", peakMb);
  ctx.note(`runner peak RSS ${peakMb} MB`);
  expect(peakMb, "runner peak RSS (MB)").toBeGreaterThan(0);
  expect(peakMb, "runner peak RSS (MB)").toBeLessThan(PEAK_MB_LIMIT);
  assertStateAfterRun(repo, 1, 0);
}

describe(G, () => {
  scenario(
    G,
    "1,000,000 lines",
    "agent writes 1,000,000 short lines as fast as the pipe takes them",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      await tortureRun(repo, ctx, "lines", { HOSTILE_LINES: "1000000" });
      // Check every line in order without building a million objects.
      const text = readFileSync(repo.file("log"), "utf8");
      let expected = 0;
      let lost = 0;
      let pos = 0;
      let sawEnd = false;
      while (pos < text.length) {
        const nl = text.indexOf("\n", pos);
        const line = text.slice(pos, nl < 0 ? text.length : nl);
        pos = nl < 0 ? text.length : nl + 1;
        if (line === "=== run 1 end (code 0) ===") sawEnd = true;
        const m = /^\[[^\]]+\] run=1 stdout: (.*)$/.exec(line);
        if (!m || expected >= 1_000_000) continue;
        if (m[1] === `line ${expected}`) expected++;
        else lost++;
      }
      ctx.lost(1_000_000 - expected);
      expect(lost, "out-of-order or altered lines").toBe(0);
      expect(expected, "lines logged in order").toBe(1_000_000);
      expect(text).toContain("run=1 stdout: hostile: printed 1000000 lines\n");
      expect(sawEnd).toBe(true);
      ctx.note("all 1,000,000 lines logged in order, end marker code 0");
    },
    300_000,
  );

  scenario(
    G,
    "one 10 MB line",
    "agent writes a single 10 MiB line without a newline until the end",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      await tortureRun(repo, ctx, "bigline");
      const log = readLog(repo);
      assertWellFormed(log);
      const lines = (log.lines.get(1) ?? []).map((l) => l.text);
      const first = lines.indexOf("before big line");
      const last = lines.indexOf("after big line");
      expect(first).toBeGreaterThanOrEqual(0);
      expect(last).toBeGreaterThan(first + 1);
      const pieces = lines.slice(first + 1, last);
      for (const p of pieces)
        expect(Buffer.byteLength(p), "split log line size").toBeLessThanOrEqual(MAX_LOG_LINE);
      const joined = pieces.join("");
      const size = 10 * 1024 * 1024;
      const unit = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
      const want = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
      ctx.lost(joined === want ? 0 : 1);
      expect(joined.length).toBe(size);
      expect(joined === want, "the pieces rebuild the line exactly").toBe(true);
      ctx.note(`split into ${pieces.length} log lines ≤ 64 KiB that rebuild it byte for byte`);
    },
  );

  scenario(
    G,
    "invalid UTF-8, NUL bytes, \\r progress bars, CRLF, no final newline",
    "agent writes raw bytes 0xff 0xfe 0x80 0xc3, NULs, `a\\rb\\rc` bars, CRLF, and ends without a newline",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      await tortureRun(repo, ctx, "bytes");
      assertValidUtf8NoNul(repo);
      const log = readLog(repo);
      assertWellFormed(log);
      expect(log.malformed).toEqual([]);
      const out = (log.lines.get(1) ?? []).map((l) => `${l.stream}: ${l.text}`);
      const find = (prefix: string) => out.find((l) => l.startsWith(prefix));
      expect(find("stdout: utf8-bad: A")).toMatch(/^stdout: utf8-bad: A\uFFFD+Z$/);
      expect(find("stdout: nul: ")).toBe("stdout: nul: a\u2400b\u2400c");
      expect(out).toContain("stdout: progress 100%");
      expect(
        out.filter((l) => l.includes("progress 10%")),
        "earlier progress segments dropped",
      ).toEqual([]);
      expect(out).toContain("stdout: crlf: windows line");
      expect(out).toContain("stdout: utf8-good: é 😀 ✓");
      expect(out).toContain("stdout: no trailing newline at the end");
      expect(find("stderr: stderr-bad: ")).toBe("stderr: stderr-bad: \uFFFD");
      ctx.fuzzed(8);
      ctx.note("U+FFFD for bad bytes, U+2400 for NUL, last \\r segment kept, unterminated line kept");
    },
  );

  scenario(
    G,
    "fuzzed raw output (random bytes)",
    "fast-check generates 400 random byte lines (control bytes, partial UTF-8, \\r, NUL); the agent replays them in odd-sized chunks",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const lineArb = fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))),
        fc.string({ maxLength: 120 }).map((s) => Buffer.from(s.replace(/\n/g, ""))),
        fc.stringMatching(/^[ -~]{1,80}$/).map((s) => Buffer.from(s)),
      );
      const lines = fc.sample(lineArb, { numRuns: 400, seed: 4242 });
      const input = join(repo.side, "fuzz.bin");
      writeFileSync(input, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
      ctx.fuzzed(lines.length);
      await tortureRun(repo, ctx, "replay", { HOSTILE_INPUT: input });
      assertValidUtf8NoNul(repo);
      const log = readLog(repo);
      assertWellFormed(log);
      expect(log.malformed).toEqual([]);
      // Printable-ASCII lines have one exact sanitised form (themselves, trailing spaces aside): all must be there, in order.
      const logged = (log.lines.get(1) ?? []).map((l) => l.text.trimEnd());
      let at = 0;
      let lost = 0;
      for (const l of lines) {
        const s = l.toString("latin1");
        if (!/^[ -~]+$/.test(s) || s.trim() === "") continue;
        const i = logged.indexOf(s.trimEnd(), at);
        if (i < 0) lost++;
        else at = i + 1;
      }
      ctx.lost(lost);
      expect(lost, "printable lines missing from the log").toBe(0);
      ctx.note("log stays valid UTF-8 without NUL; every printable line logged in order");
    },
  );

  scenario(
    G,
    "output after the agent closed stdout",
    "agent prints, closes fd 1, then writes three stderr lines over 300 ms and exits 0",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      await tortureRun(repo, ctx, "close-stdout");
      const log = readLog(repo);
      assertWellFormed(log);
      const out = (log.lines.get(1) ?? []).map((l) => `${l.stream}: ${l.text}`);
      expect(out).toContain("stdout: before close");
      for (let i = 1; i <= 3; i++) expect(out).toContain(`stderr: after close ${i}`);
      expect(endMarker(log, 1)?.code).toBe(0);
    },
  );

  scenario(
    G,
    "a detached grandchild writes to the agent's stdout after the agent exited",
    "agent spawns a grandchild in its own session holding stdout, exits at once; the grandchild writes 1 s later",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      ctx.defer(() => {
        try {
          killTree(Number(readFileSync(join(repo.side, "grandchild.pid"), "utf8")));
        } catch {}
      });
      await tortureRun(repo, ctx, "late-grandchild", { HOSTILE_DELAY_MS: "1000" });
      const gpid = Number(readFileSync(join(repo.side, "grandchild.pid"), "utf8"));
      await waitFor(() => !isLive(gpid), { timeoutMs: 30_000, what: "grandchild done" });
      const log = parseLog(readFileSync(repo.file("log"), "utf8"));
      assertWellFormed(log);
      expect(log.malformed).toEqual([]);
      const late = (log.lines.get(1) ?? []).some((l) => l.text === "late line from grandchild");
      ctx.note(
        late
          ? "late line logged inside run 1's block"
          : "late line not logged; log stays well-formed, runner did not wait on it",
      );
    },
  );
});
