import { promises as fsp, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_CONFIG,
  isCarError,
  parseConfig,
  parseState,
  parseTodo,
  setTodoDone,
} from "@codex-autorunner/core";
import { LogReader, LogWriter, parseLock } from "@codex-autorunner/core/node";
import fc from "fast-check";
import { afterAll, describe, expect } from "vitest";
import { scenario } from "../reliability-helpers/record.js";

/**
 * Property tests that complement core's own (src/todo/*.test.ts, src/node/log/*.test.ts): wider
 * "markdown soup", fence/comment wrappers around arbitrary content, logs in the original's format
 * without an index, and fuzzed config/state/lock files that must fail with their own error codes.
 */

const G = "Property tests";
const RUNS = 300;

// ---------- TODO soup ----------
const indentArb = fc.constantFrom("", " ", "  ", "\t", "      ", " \t");
const markerArb = fc.constantFrom("-", "*", "+", "1.", "12)", "999999999.", "3)");
const wsArb = fc.constantFrom(" ", "\t", "  ");
const checkArb = fc.constantFrom(" ", "x", "X");
/** Text after a checkbox; may contain anything except line breaks and delimiters (plain variant). */
const plainText = fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, " "));
const stripDelims = (s: string) => {
  let t = s;
  while (/`|~~~|<!--|-->/.test(t))
    t = t.replace(/`/g, "'").replace(/~~~/g, "~ ~").replace(/<!--/g, "< !--").replace(/-->/g, "- ->");
  return t;
};
const itemLine = fc
  .tuple(indentArb, markerArb, wsArb, checkArb, fc.option(plainText, { nil: undefined }))
  .map(([i, m, w, c, t]) => `${i}${m}${w}[${c}]${t === undefined ? "" : ` ${t}`}`);
const lookalike = fc.constantFrom(
  "-[ ] x",
  "- [] x",
  "- [  ] x",
  "- [y] x",
  "[ ] x",
  "- [x]x",
  "1234567890. [ ] too long",
  "a - [ ] x",
  "-\u00a0[ ] nbsp",
);
const fenceLine = fc.constantFrom(
  "```",
  "~~~",
  "````",
  "``` js",
  "   ```",
  "\t~~~~",
  "```` ",
  "`` not a fence",
  "~~~ info ~",
  "```\t",
);
const commentLine = fc.constantFrom(
  "<!--",
  "-->",
  "<!-- c -->",
  "text <!-- open",
  "close --> - [ ] after",
  "<!-->",
  "- [ ] item <!-- trailing",
  "<!--- x --->",
  "-- >",
);
const soupLine = fc.oneof(
  { arbitrary: itemLine, weight: 5 },
  { arbitrary: lookalike, weight: 1 },
  { arbitrary: fenceLine, weight: 2 },
  { arbitrary: commentLine, weight: 2 },
  { arbitrary: plainText, weight: 2 },
  { arbitrary: fc.constant(""), weight: 1 },
);
const plainLine = fc.oneof(itemLine, lookalike, plainText).map(stripDelims);
const eolArb = fc.constantFrom("\n", "\r\n");

const join2 = (lines: string[], eol: string) => lines.join(eol);
const summary = (text: string) => parseTodo(text).map((i) => ({ text: i.text, done: i.done }));

describe(G, () => {
  scenario(
    G,
    "TODO: items inside an HTML comment never count, whatever the comment holds",
    `${RUNS} docs: plain prefix + <!-- arbitrary soup --> + arbitrary soup suffix`,
    (ctx) => {
      fc.assert(
        fc.property(
          fc.array(plainLine, { maxLength: 8 }),
          fc.array(soupLine, { maxLength: 12 }),
          fc.array(soupLine, { maxLength: 8 }),
          eolArb,
          (x, d, y, eol) => {
            const inner = d.map((l) => {
              let t = l;
              while (t.includes("-->")) t = t.replace(/-->/g, "--");
              return t;
            });
            const prefix = join2(x, eol);
            const suffix = join2(y, eol);
            const doc = [prefix, "<!--", ...inner, "-->", suffix].join(eol);
            expect(summary(doc)).toEqual([...summary(prefix), ...summary(suffix)]);
          },
        ),
        { numRuns: RUNS, seed: 61 },
      );
      ctx.fuzzed(RUNS);
    },
  );

  scenario(
    G,
    "TODO: items inside a code fence never count, whatever the fence holds",
    `${RUNS} docs: plain prefix + fence longer than any backtick run inside + arbitrary soup suffix`,
    (ctx) => {
      fc.assert(
        fc.property(
          fc.array(plainLine, { maxLength: 8 }),
          fc.array(soupLine, { maxLength: 12 }),
          fc.array(soupLine, { maxLength: 8 }),
          eolArb,
          fc.constantFrom("", "  ", "\t"),
          (x, d, y, eol, indent) => {
            const longest = Math.max(
              2,
              ...d.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))),
            );
            const fence = "`".repeat(longest + 1);
            const prefix = join2(x, eol);
            const suffix = join2(y, eol);
            const doc = [prefix, `${indent}${fence} md`, ...d, `${indent}${fence}`, suffix].join(eol);
            expect(summary(doc)).toEqual([...summary(prefix), ...summary(suffix)]);
          },
        ),
        { numRuns: RUNS, seed: 62 },
      );
      ctx.fuzzed(RUNS);
    },
  );

  scenario(
    G,
    "TODO: toggling any item changes exactly one character and round-trips",
    `${RUNS} soup docs (CRLF/LF, optional BOM); every item toggled and toggled back`,
    (ctx) => {
      let toggles = 0;
      fc.assert(
        fc.property(fc.array(soupLine, { maxLength: 25 }), eolArb, fc.boolean(), (lines, eol, bom) => {
          const doc = (bom ? "\uFEFF" : "") + join2(lines, eol);
          const items = parseTodo(doc);
          for (const [k, it] of items.entries()) {
            const flipped = setTodoDone(doc, it.line, !it.done);
            toggles++;
            expect(flipped.length).toBe(doc.length);
            expect(diffPositions(doc, flipped)).toEqual([it.checkOffset]);
            const after = parseTodo(flipped);
            expect(after.map((a) => a.line)).toEqual(items.map((a) => a.line));
            expect(after.map((a, j) => (j === k ? !a.done : a.done))).toEqual(items.map((a) => a.done));
            const back = setTodoDone(flipped, it.line, it.done);
            if (doc[it.checkOffset] === "X")
              expect(back).toBe(doc.slice(0, it.checkOffset) + "x" + doc.slice(it.checkOffset + 1));
            else expect(back).toBe(doc);
          }
        }),
        { numRuns: RUNS, seed: 63 },
      );
      ctx.fuzzed(RUNS);
      ctx.note(`${toggles} toggles, each changing only the [ ] character`);
    },
  );

  scenario(
    G,
    "TODO parser is total on arbitrary text",
    `${RUNS * 3} arbitrary strings (graphemes, control chars, lone surrogates)`,
    (ctx) => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: "binary", maxLength: 400 }),
            fc.string({ unit: "grapheme", maxLength: 400 }),
            fc.array(soupLine).map((l) => l.join("\r")),
          ),
          (text) => {
            const items = parseTodo(text);
            for (const it of items) expect(["x", "X", " "]).toContain(text[it.checkOffset]);
          },
        ),
        { numRuns: RUNS * 3, seed: 64 },
      );
      ctx.fuzzed(RUNS * 3);
    },
  );
});

function diffPositions(a: string, b: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) out.push(i);
  return out;
}

// ---------- logs in the original's format, no index ----------
const tsArb = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => `${d.toISOString().slice(0, 19)}Z`);
const agentLineArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, "")),
  fc.constantFrom(
    "=== run 1 start ===",
    "=== run 2 end (code 0) ===",
    "[2026-01-01T00:00:00Z] run=3 stdout: fake",
    "",
    " ",
    "✓ done",
  ),
);
const originalLogArb = fc.record({
  first: fc.integer({ min: 1, max: 500 }),
  runs: fc.array(
    fc.record({
      lines: fc.array(fc.tuple(tsArb, fc.constantFrom("stdout", "stderr"), agentLineArb), { maxLength: 30 }),
      code: fc.integer({ min: -1, max: 255 }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  lastOpen: fc.boolean(),
  tailN: fc.integer({ min: 1, max: 50 }),
  maxChars: fc.integer({ min: 1, max: 400 }),
});

describe(`${G}: log reader`, () => {
  const dir = mkdtempSync(join(tmpdir(), "car-rel-log-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  scenario(
    G,
    "log reader finds every run block of an original-format log without an index, then after our writer appends",
    "150 generated original logs (marker lookalikes in agent text, open last run, any first id); read with no .idx, then with LogWriter appending a run",
    async (ctx) => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(originalLogArb, async ({ first, runs, lastOpen, tailN, maxChars }) => {
          const base = join(dir, `o${n++}`);
          const log = `${base}.log`;
          const idx = `${base}.log.idx`;
          const blocks = new Map<number, string>();
          const outputs = new Map<number, string>();
          let text = "";
          runs.forEach((r, i) => {
            const id = first + i;
            let block = `=== run ${id} start ===\n`;
            for (const [ts, stream, line] of r.lines) block += `[${ts}] run=${id} ${stream}: ${line}\n`;
            if (!(lastOpen && i === runs.length - 1)) block += `=== run ${id} end (code ${r.code}) ===\n`;
            blocks.set(id, block);
            outputs.set(id, r.lines.map(([, , l]) => l).join("\n"));
            text += block;
          });
          await fsp.writeFile(log, text);
          const last = first + runs.length - 1;
          const check = async (what: string) => {
            const reader = new LogReader(log, idx);
            for (const [id, block] of blocks) {
              expect(await reader.readRun(id), `${what}: run ${id}`).toBe(block);
              expect(await reader.prevRunOutput(id, 1_000_000)).toBe(outputs.get(id));
              expect(await reader.prevRunOutput(id, maxChars)).toBe(outputs.get(id)!.slice(-maxChars));
            }
            expect(await reader.readRun(first - 1 || 100_000)).toBeNull();
          };
          await check("no index");
          const r0 = new LogReader(log, idx);
          expect(await r0.lastRunId()).toBe(last);
          const fileLines = text.split("\n").slice(0, -1);
          expect(await r0.tail(tailN)).toBe(`${fileLines.slice(-tailN).join("\n")}\n`);
          await check("lazily built index");
          if (lastOpen) return; // a writer would first close the dangling run (engine recovery); covered by crash scenarios
          const w = await LogWriter.open(log, idx);
          await w.startRun(last + 1);
          await w.line(last + 1, "stdout", "ours");
          await w.endRun(last + 1, 0);
          await w.close();
          await check("after our writer appended");
          const r1 = new LogReader(log, idx);
          expect(await r1.lastRunId()).toBe(last + 1);
          expect(await r1.readRun(last + 1)).toMatch(
            new RegExp(
              `^=== run ${last + 1} start ===\\n\\[[^\\]]+\\] run=${last + 1} stdout: ours\\n=== run ${last + 1} end \\(code 0\\) ===\\n$`,
            ),
          );
          await fsp.rm(idx, { force: true });
          await check("index deleted again");
        }),
        { numRuns: 150, seed: 65 },
      );
      ctx.fuzzed(150);
    },
    180_000,
  );
});

// ---------- fuzzed config / state / lock files ----------
const LEAVES: Array<[string, string]> = [
  ["runner", "sleep_seconds"],
  ["runner", "stop_after_runs"],
  ["runner", "max_wallclock_seconds"],
  ["runner", "kill_grace_seconds"],
  ["prompt", "prev_run_max_chars"],
  ["git", "auto_commit"],
  ["git", "commit_message_template"],
  ["server", "port"],
  ["server", "host"],
  ["codex", "binary"],
  ["codex", "args"],
  ["docs", "todo"],
  ["docs", "extras"],
];
const valueArb = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer({ min: -100_000, max: 100_000 }),
  // YAML 1.1 reads `5e-7` (no dot) as a string, so keep to plain decimal notation.
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .filter((d) => !/e/i.test(String(d))),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

describe(`${G}: hostile files`, () => {
  scenario(
    G,
    "config.yml: a wrong value at any key → CONFIG_INVALID naming that key, or accepted exactly",
    `${RUNS * 2} configs with one leaf set to a random string/number/bool/null/list/map`,
    (ctx) => {
      let rejected = 0;
      fc.assert(
        fc.property(fc.constantFrom(...LEAVES), valueArb, ([section, leaf], value) => {
          const text = JSON.stringify({ version: 1, [section]: { [leaf]: value } });
          try {
            const { config } = parseConfig(text, ".codex-autorunner/config.yml");
            const got = (config as unknown as Record<string, Record<string, unknown>>)[section]![leaf];
            const def = (DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>)[section]![
              leaf
            ];
            const given = (JSON.parse(text) as Record<string, Record<string, unknown>>)[section]![leaf];
            if (given === null && got !== null) expect(got).toEqual(def);
            else expect(got, `${section}.${leaf} accepted as given`).toEqual(given);
          } catch (err) {
            rejected++;
            if (!isCarError(err)) throw err;
            expect(err.code).toBe("CONFIG_INVALID");
            expect(err.details.file).toBe(".codex-autorunner/config.yml");
            expect(String(err.details.key)).toMatch(new RegExp(`^${section}\\.${leaf}(\\.|\\[|$)`));
            expect(err.message).toContain(`${section}.${leaf}`);
          }
        }),
        { numRuns: RUNS * 2, seed: 66 },
      );
      ctx.fuzzed(RUNS * 2);
      ctx.note(`${rejected} rejected naming the key, the rest accepted unchanged`);
    },
  );

  scenario(
    G,
    "config.yml: arbitrary text → a config or a CONFIG_* error naming the file",
    `${RUNS * 2} arbitrary strings / JSON values as config.yml`,
    (ctx) => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            fc
              .array(
                fc.constantFrom(
                  "a:",
                  " b: [",
                  "- x",
                  "version: 2",
                  "runner:",
                  "  sleep_seconds: 1",
                  "&a x",
                  "*a",
                  "? y",
                  "!!binary x",
                  "\t",
                  "'",
                ),
                { maxLength: 8 },
              )
              .map((l) => l.join("\n")),
          ),
          (text) => {
            try {
              parseConfig(text, "config.yml");
            } catch (err) {
              if (!isCarError(err)) throw err;
              expect(["CONFIG_YAML", "CONFIG_INVALID", "CONFIG_VERSION"]).toContain(err.code);
              expect(err.details.file).toBe("config.yml");
              expect(err.message).toContain("config.yml");
            }
          },
        ),
        { numRuns: RUNS * 2, seed: 67 },
      );
      ctx.fuzzed(RUNS * 2);
    },
  );

  scenario(
    G,
    "state.json and lock: arbitrary content → parsed sanely or STATE_CORRUPT / LOCK_CORRUPT",
    `${RUNS * 2} arbitrary strings and JSON objects for each file`,
    (ctx) => {
      const content = fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc
          .record(
            {
              last_run_id: fc.jsonValue(),
              status: fc.jsonValue(),
              pid: fc.jsonValue(),
              runner_pid: fc.jsonValue(),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
      );
      fc.assert(
        fc.property(content, (text) => {
          try {
            const s = parseState(text, "state.json");
            expect(["idle", "running", "error"]).toContain(s.status);
            expect(s.last_run_id === null || (Number.isInteger(s.last_run_id) && s.last_run_id >= 0)).toBe(
              true,
            );
            expect(s.runner_pid === null || (Number.isInteger(s.runner_pid) && s.runner_pid > 0)).toBe(true);
          } catch (err) {
            if (!isCarError(err, "STATE_CORRUPT")) throw err;
            expect(err.message).toContain("state.json");
          }
          try {
            const l = parseLock(text, "lock");
            expect(Number.isSafeInteger(l.pid) && l.pid > 0).toBe(true);
          } catch (err) {
            if (!isCarError(err, "LOCK_CORRUPT")) throw err;
            expect(err.message).toContain("lock");
          }
        }),
        { numRuns: RUNS * 2, seed: 68 },
      );
      ctx.fuzzed(RUNS * 4);
    },
  );
});
