import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sanitizeAgentLine } from "../../log/format.js";
import { parseIndex } from "../../log/index-format.js";
import type { LogStream } from "../../types.js";
import { bisectRunStart } from "./lookup/bisect.js";
import { LogReader } from "./reader.js";
import { LogWriter } from "./writer.js";

let dir: string;
let log: string;
let idx: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-logr-"));
  log = join(dir, "codex-autorunner.log");
  idx = join(dir, "codex-autorunner.log.idx");
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A log as the original Python tool wrote it (no index), run by run. */
function originalLog(
  runs: number,
  linesPerRun: number,
  firstId = 1,
): { text: string; blocks: Map<number, string> } {
  const blocks = new Map<number, string>();
  let text = "";
  for (let id = firstId; id < firstId + runs; id++) {
    let block = `=== run ${id} start ===\n`;
    for (let i = 0; i < linesPerRun; i++) {
      block += `[2026-01-01T12:00:${String(i % 60).padStart(2, "0")}Z] run=${id} ${i % 3 ? "stdout" : "stderr"}: run ${id} line ${i} ✓\n`;
    }
    block += `=== run ${id} end (code ${id % 4 === 0 ? 1 : 0}) ===\n`;
    blocks.set(id, block);
    text += block;
  }
  return { text, blocks };
}

/** Count the bytes LogReader reads from the log through file handles. */
function countReads(): { bytes: () => number; restore: () => void } {
  let bytes = 0;
  const realOpen = fsp.open.bind(fsp);
  const spy = vi.spyOn(fsp, "open").mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    if (String(args[0]) === log) {
      const realRead = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      (handle as unknown as { read: unknown }).read = async (...a: unknown[]) => {
        const res = await realRead(...a);
        bytes += res.bytesRead;
        return res;
      };
    }
    return handle;
  });
  return { bytes: () => bytes, restore: () => spy.mockRestore() };
}

describe("LogReader on a log written by the original (no index)", () => {
  it("finds run blocks, the tail, the last run and the previous run's output", async () => {
    // 40 runs × 3,000 lines ≈ 7 MB: blocks span many 64 KiB chunks.
    const { text, blocks } = originalLog(40, 3000);
    await fsp.writeFile(log, text);
    const r = new LogReader(log, idx);
    for (const id of [40, 39, 20, 1]) expect(await r.readRun(id)).toBe(blocks.get(id));
    expect(await r.readRun(41)).toBeNull();
    expect(await r.lastRunId()).toBe(40);
    const lines = text.split("\n");
    expect(await r.tail(5)).toBe(`${lines.slice(-6, -1).join("\n")}\n`);
    expect(await r.tail(1)).toBe("=== run 40 end (code 1) ===\n");
    expect(await r.tail(0)).toBe("");
    expect(await r.tail(10_000_000)).toBe(text);

    const out = await r.prevRunOutput(39, 100);
    expect(out).toHaveLength(100);
    expect(out.endsWith("run 39 line 2999 ✓")).toBe(true);
    expect(out).not.toContain("run=39");
    const all = await r.prevRunOutput(2, 10_000_000);
    expect(all.split("\n")).toHaveLength(3000);
    expect(all.split("\n")[0]).toBe("run 2 line 0 ✓");

    // Blocks found by scanning were added to the index; the next lookups use it and agree.
    const indexed = parseIndex(await fsp.readFile(idx, "utf8"));
    expect(indexed.map((e) => e.run)).toContain(20);
    const fresh = new LogReader(log, idx);
    expect(await fresh.readRun(20)).toBe(blocks.get(20));
    expect(await fresh.lastRunId()).toBe(40);
  });

  it("handles lines longer than the read chunk (the original did not split long lines)", async () => {
    const long = `[2026-01-01T00:00:00Z] run=2 stdout: ${"é".repeat(1_500_000)}`;
    const block2 = `=== run 2 start ===\n${long}\n[2026-01-01T00:00:00Z] run=2 stdout: short\n=== run 2 end (code 0) ===\n`;
    const text = `=== run 1 start ===\n${long.replace("run=2", "run=1")}\n=== run 1 end (code 0) ===\n${block2}`;
    await fsp.writeFile(log, text);
    const r = new LogReader(log, idx);
    expect(await r.readRun(2)).toBe(block2);
    expect(await r.readRun(1)).toBe(text.slice(0, text.length - block2.length));
    expect(await r.tail(3)).toBe(block2.slice(block2.indexOf("\n") + 1));
    expect(await r.prevRunOutput(2, 10)).toBe("\u00e9".repeat(4) + "\nshort");
    const entries = await r.entriesFrom(0);
    expect(entries.map((e) => e.kind)).toEqual(["start", "line", "end", "start", "line", "line", "end"]);
    expect(entries[3]?.offset).toBe(Buffer.byteLength(text) - Buffer.byteLength(block2));
  });

  it("handles an empty, a missing and a marker-less log", async () => {
    const r = new LogReader(log, idx);
    expect(await r.readRun(1)).toBeNull();
    expect(await r.tail(3)).toBe("");
    expect(await r.lastRunId()).toBeNull();
    expect(await r.entriesFrom(0)).toEqual([]);
    await fsp.writeFile(log, "");
    expect(await r.lastRunId()).toBeNull();
    await fsp.writeFile(log, "no markers\nat all");
    expect(await r.lastRunId()).toBeNull();
    expect(await r.tail(1)).toBe("at all");
    expect(await r.tail(2)).toBe("no markers\nat all");
  });

  it("returns an open run's block to the end of the log", async () => {
    const { text } = originalLog(2, 3);
    const open = "=== run 3 start ===\n[2026-01-01T12:00:00Z] run=3 stdout: working\n";
    await fsp.writeFile(log, text + open);
    const r = new LogReader(log, idx);
    expect(await r.readRun(3)).toBe(open);
    expect(await r.lastRunId()).toBe(3);
    expect(await r.prevRunOutput(3, 100)).toBe("working");
  });
});

describe("LogReader with an index", () => {
  it("ignores a stale index after the log was truncated and rewritten", async () => {
    const w = await LogWriter.open(log, idx);
    for (let id = 1; id <= 3; id++) {
      await w.startRun(id);
      for (let i = 0; i < 100; i++) await w.line(id, "stdout", `first log run ${id} line ${i}`);
      await w.endRun(id, 0);
    }
    await w.close();
    // Rotate by hand: the log is replaced by a shorter one from the original, the index stays.
    const { text, blocks } = originalLog(2, 2, 1);
    await fsp.writeFile(log, text);
    const staleIndex = await fsp.readFile(idx, "utf8");
    const r = new LogReader(log, idx);
    expect(await r.readRun(1)).toBe(blocks.get(1));
    expect(await r.readRun(2)).toBe(blocks.get(2));
    expect(await r.readRun(3)).toBeNull();
    expect(await r.lastRunId()).toBe(2);
    // Readers leave a stale index alone (the writer resets it when it opens the log).
    expect(await fsp.readFile(idx, "utf8")).toBe(staleIndex);
  });

  it("does not trust index offsets whose bytes are not the run's markers", async () => {
    const { text, blocks } = originalLog(3, 5);
    await fsp.writeFile(log, text);
    // Offsets inside the log but pointing at the wrong lines.
    await fsp.writeFile(idx, '{"run":2,"start":20,"end":300}\n{"run":3,"start":10,"end":null}\n');
    const r = new LogReader(log, idx);
    expect(await r.readRun(2)).toBe(blocks.get(2));
    expect(await r.readRun(3)).toBe(blocks.get(3));
    expect(await r.lastRunId()).toBe(3);
  });

  it("finds runs written by the original before our writer took over the log", async () => {
    const { text, blocks } = originalLog(5, 50);
    await fsp.writeFile(log, text);
    const w = await LogWriter.open(log, idx);
    await w.startRun(6);
    await w.line(6, "stdout", "ours");
    await w.endRun(6, 0);
    await w.close();
    const r = new LogReader(log, idx);
    expect(await r.readRun(3)).toBe(blocks.get(3));
    expect(await r.readRun(6)).toMatch(
      /^=== run 6 start ===\n\[.*\] run=6 stdout: ours\n=== run 6 end \(code 0\) ===\n$/,
    );
    expect(await r.lastRunId()).toBe(6);
    const run5 = Array.from({ length: 50 }, (_, i) => `run 5 line ${i} ✓`).join("\n");
    expect(await r.prevRunOutput(5, 30)).toBe(run5.slice(-30));
    // The original appends a run after ours (no index entry for it): still found as the last.
    await fsp.appendFile(log, "=== run 7 start ===\n=== run 7 end (code 0) ===\n");
    expect(await r.lastRunId()).toBe(7);
    expect(await r.readRun(7)).toBe("=== run 7 start ===\n=== run 7 end (code 0) ===\n");
  });
});

describe("LogReader cost", () => {
  it("reads only the end of a large log, with and without an index", async () => {
    // ~24 MB of the original's runs, then two runs of ours (indexed) and one more of the original's.
    const { text } = originalLog(40, 9000);
    await fsp.writeFile(log, text);
    const w = await LogWriter.open(log, idx);
    for (const id of [41, 42]) {
      await w.startRun(id);
      for (let i = 0; i < 200; i++) await w.line(id, "stdout", `ours ${id} ${i}`);
      await w.endRun(id, 0);
    }
    await w.close();
    await fsp.appendFile(
      log,
      "=== run 43 start ===\n[2026-01-01T00:00:00Z] run=43 stdout: last\n=== run 43 end (code 0) ===\n",
    );
    expect((await fsp.stat(log)).size).toBeGreaterThan(20 * 1024 * 1024);

    const counter = countReads();
    try {
      const r = new LogReader(log, idx);
      expect(await r.lastRunId()).toBe(43);
      expect(await r.readRun(43)).toContain("run=43 stdout: last");
      expect(await r.readRun(41)).toContain("run=41 stdout: ours 41 199");
      expect(await r.prevRunOutput(42, 6000)).toMatch(/ours 42 199$/);
      expect((await r.tail(50)).split("\n")).toHaveLength(51);
      expect(counter.bytes()).toBeGreaterThan(10_000); // the counter does see the reads
      expect(counter.bytes()).toBeLessThan(1024 * 1024);
      // The original's run 40, found by scanning backwards past ours, then through the index.
      expect(await r.readRun(40)).toMatch(/^=== run 40 start ===\n/);
      const afterScan = counter.bytes();
      expect(afterScan).toBeLessThan(2 * 1024 * 1024);
      expect(await new LogReader(log, idx).readRun(40)).toMatch(
        /run 40 line 8999 ✓\n=== run 40 end \(code 1\) ===\n$/,
      );
      expect(counter.bytes() - afterScan).toBeLessThan(1024 * 1024);
    } finally {
      counter.restore();
    }
  }, 60_000);
});

describe("LogReader bisection (logs without an index)", () => {
  it("finds a run deep in a large original log with reads that do not grow with the log", async () => {
    // ~30 MB: 3,000 runs; a lookup in the middle must not read the 15 MB after it.
    const { text, blocks } = originalLog(3000, 90);
    await fsp.writeFile(log, text);
    const counter = countReads();
    try {
      const r = new LogReader(log, idx);
      expect(await r.readRun(1500)).toBe(blocks.get(1500));
      expect(counter.bytes()).toBeLessThan(3 * 1024 * 1024);
      expect(await r.readRun(2)).toBe(blocks.get(2));
      expect(await r.readRun(2999)).toBe(blocks.get(2999));
    } finally {
      counter.restore();
    }
    // What was found is remembered in the index for the next reader.
    const indexed = parseIndex(await fsp.readFile(idx, "utf8"));
    expect(indexed.find((e) => e.run === 1500)?.start).toBe(
      Buffer.from(text).indexOf("=== run 1500 start ===\n"),
    );
  }, 60_000);

  it("agrees with a plain scan for any run in logs with noise lines, long lines and open runs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            lines: fc.array(fc.oneof(fc.constant("short"), fc.string({ maxLength: 300 })), { maxLength: 12 }),
            noise: fc.boolean(),
            closed: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.nat(),
        async (runs, pick) => {
          let text = "";
          runs.forEach((run, i) => {
            const id = i + 1;
            text += `=== run ${id} start ===\n`;
            for (const l of run.lines) {
              text += `[2026-01-01T00:00:00Z] run=${id} stdout: ${l.replace(/[\r\n]/g, " ")}\n`;
            }
            if (run.noise) text += "a line the original's logging wrote without a run prefix\n";
            if (run.closed || i < runs.length - 1) text += `=== run ${id} end (code 0) ===\n`;
          });
          await fsp.writeFile(log, text);
          const id = (pick % runs.length) + 1;
          const expected = Buffer.from(text).indexOf(`=== run ${id} start ===\n`);
          const fd = await fsp.open(log, "r");
          try {
            const size = (await fd.stat()).size;
            expect(await bisectRunStart(fd, size, id, 64)).toBe(expected);
            expect(await bisectRunStart(fd, size, runs.length + 5, 64)).toBeNull();
          } finally {
            await fd.close();
          }
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
  });
});

describe("LogReader.entriesFrom", () => {
  it("parses complete lines from a byte offset, with offsets into the file", async () => {
    const text =
      "=== run 1 start ===\n[2026-01-01T00:00:00Z] run=1 stdout: héllo\n=== run 1 end (code 0) ===\npartial";
    await fsp.writeFile(log, text);
    const buf = Buffer.from(text);
    const r = new LogReader(log, idx);
    const all = await r.readFrom(0);
    expect(all.entries.map((e) => e.kind)).toEqual(["start", "line", "end"]);
    for (const e of all.entries)
      expect(buf.subarray(e.offset, e.offset + Buffer.byteLength(e.raw)).toString()).toBe(e.raw);
    expect(all.next).toBe(buf.indexOf("partial"));
    const line = all.entries[1];
    expect(line).toMatchObject({
      kind: "line",
      runId: 1,
      stream: "stdout",
      line: "héllo",
      ts: "2026-01-01T00:00:00Z",
    });

    // From the second line, from inside it (→ next line), with a limit, and past the end.
    expect((await r.entriesFrom(all.entries[1]!.offset)).map((e) => e.kind)).toEqual(["line", "end"]);
    expect((await r.entriesFrom(all.entries[1]!.offset + 3)).map((e) => e.kind)).toEqual(["end"]);
    expect((await r.entriesFrom(0, 1)).map((e) => e.kind)).toEqual(["start"]);
    expect(await r.entriesFrom(buf.length + 10)).toEqual([]);
    await fsp.appendFile(log, "\n");
    expect((await r.entriesFrom(all.next)).map((e) => e.raw)).toEqual(["partial"]);
  });
});

type Op =
  | { op: "start"; run: number }
  | { op: "line"; run: number; stream: LogStream; text: string }
  | { op: "end"; run: number; code: number | null };

const agentText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("=== run 1 start ===", "=== run 2 end (code 0) ===", "a\rb", "x\ny", "\0", ""),
);

/** Several runs whose lines interleave arbitrarily; each starts before its lines and may stay open. */
const opsArb = fc
  .array(
    fc.record({
      lines: fc.array(fc.tuple(fc.constantFrom<LogStream>("stdout", "stderr"), agentText), { maxLength: 12 }),
      code: fc.option(fc.integer({ min: 0, max: 255 })),
      ends: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .chain((runs) =>
    fc
      .shuffledSubarray(
        runs.flatMap((r, i) => [
          ...r.lines.map((_l, j) => ({ run: i + 1, seq: j + 1 })),
          ...(r.ends ? [{ run: i + 1, seq: r.lines.length + 1 }] : []),
        ]),
        { minLength: 0 },
      )
      .map((picked) => ({ runs, picked })),
  )
  .map(({ runs, picked }) => {
    // Keep each run's own order; interleave runs in the shuffled order of their events.
    const next = runs.map(() => 0);
    const ops: Op[] = [];
    const started = new Set<number>();
    const sequence = [...picked, ...runs.map((_, i) => ({ run: i + 1, seq: 0 }))].filter(
      (p, k, arr) => arr.findIndex((q) => q.run === p.run && q.seq === p.seq) === k,
    );
    for (const { run } of sequence) {
      const r = runs[run - 1]!;
      if (!started.has(run)) {
        started.add(run);
        ops.push({ op: "start", run });
      }
      const k = next[run - 1]!;
      if (k < r.lines.length) {
        const [stream, text] = r.lines[k]!;
        ops.push({ op: "line", run, stream, text });
        next[run - 1] = k + 1;
      } else if (k === r.lines.length && r.ends) {
        ops.push({ op: "end", run, code: r.code });
        next[run - 1] = k + 1;
      }
    }
    return ops;
  });

describe("LogReader property", () => {
  it("finds every block exactly for any interleaving of runs written by LogWriter", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(opsArb, async (ops) => {
        const base = join(dir, `p${n++}`);
        const w = await LogWriter.open(`${base}.log`, `${base}.log.idx`);
        const starts = new Map<number, number>();
        const ends = new Map<number, number>();
        const output = new Map<number, string[]>();
        for (const op of ops) {
          if (op.op === "start") {
            starts.set(op.run, await w.startRun(op.run));
            output.set(op.run, []);
          } else if (op.op === "line") {
            await w.line(op.run, op.stream, op.text);
            output.get(op.run)?.push(...sanitizeAgentLine(op.text));
          } else {
            const at = await w.endRun(op.run, op.code);
            const bytes = Buffer.byteLength(
              op.code === null
                ? `=== run ${op.run} end (interrupted) ===\n`
                : `=== run ${op.run} end (code ${op.code}) ===\n`,
            );
            ends.set(op.run, at + bytes);
          }
        }
        await w.close();
        const buf = await fsp.readFile(`${base}.log`);
        const expected = (run: number) =>
          buf.subarray(starts.get(run), ends.get(run) ?? buf.length).toString("utf8");
        const lastStarted = [...starts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
        // With the writer's index, then without any index (backwards scan), then with the rebuilt one.
        for (const phase of ["indexed", "scan", "rebuilt"]) {
          if (phase === "scan") await fsp.rm(`${base}.log.idx`, { force: true });
          const r = new LogReader(`${base}.log`, `${base}.log.idx`);
          for (const run of starts.keys()) {
            expect(await r.readRun(run), `${phase} run ${run}`).toBe(expected(run));
            expect(await r.prevRunOutput(run, 1_000_000)).toBe(output.get(run)?.join("\n"));
          }
          expect(await r.readRun(99)).toBeNull();
          expect(await r.lastRunId()).toBe(lastStarted);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe("LogReader scans that skip non-marker lines", () => {
  /** The last n lines as a plain split would give them (a trailing "\n" ends the last line). */
  function naiveTail(text: string, n: number): string {
    if (text === "" || n <= 0) return "";
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    const lines = body.split("\n");
    return lines.slice(Math.max(0, lines.length - n)).join("\n") + (text.endsWith("\n") ? "\n" : "");
  }

  it("tail(n) equals the last n lines for edge-case files and across chunk boundaries", async () => {
    const long = "x".repeat(70_000);
    const texts = ["", "\n", "\n\n", "a", "a\n", "a\n\nb\n", "a\nb", `${long}\nb\n${long}`, `a\n${long}\n`];
    texts.push(Array.from({ length: 5000 }, (_, i) => `line ${i}${i % 7 === 0 ? "" : " ✓"}`).join("\n"));
    const r = new LogReader(log, idx);
    for (const text of texts) {
      await fsp.writeFile(log, text);
      for (const n of [1, 2, 3, 5, 100, 2500, 6000]) {
        expect(await r.tail(n), `${JSON.stringify(text.slice(0, 20))} n=${n}`).toBe(naiveTail(text, n));
      }
    }
  });

  it("finds markers at the file start, at chunk boundaries, after long lines and without a final newline", async () => {
    // Runs whose markers straddle the 64 KiB read chunks, a marker-like agent line, no trailing newline.
    let text = "";
    const blocks = new Map<number, string>();
    for (let id = 1; id <= 6; id++) {
      const filler = "y".repeat(65_536 - 25 + id * 3);
      const block = `=== run ${id} start ===\n${filler}\n[t] run=${id} stdout: === run 99 start ===\n=== run ${id} end (code 0) ===\n`;
      blocks.set(id, block);
      text += block;
    }
    text += "=== run 7 start ===\npartial";
    await fsp.writeFile(log, text);
    const r = new LogReader(log, idx);
    expect(await r.lastRunId()).toBe(7);
    expect(await r.readRun(7)).toBe("=== run 7 start ===\npartial");
    for (const [id, block] of blocks)
      expect(await new LogReader(log, `${idx}.none${id}`).readRun(id)).toBe(block);
    // And once more through the index the scans wrote.
    expect(await new LogReader(log, idx).readRun(1)).toBe(blocks.get(1));
    expect(await r.readRun(99)).toBeNull();
  });
});

describe("LogReader on a folder where the log belongs", () => {
  it("names the log (IO_ERROR) instead of a bare EISDIR", async () => {
    await fsp.mkdir(log);
    const err = await new LogReader(log, idx).readRun(1).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "CarError", code: "IO_ERROR" });
    expect((err as Error).message).toBe(
      `Could not read ${log}: it is a folder, not a file; move it out of the way (EISDIR).`,
    );
  });
});
