import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseIndex } from "../../log/index-format.js";
import { LogWriter } from "./writer.js";

let dir: string;
let log: string;
let idx: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-logw-"));
  log = join(dir, "codex-autorunner.log");
  idx = join(dir, "codex-autorunner.log.idx");
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const TS = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] /;

describe("LogWriter", () => {
  it("writes the original's line format and indexes each block", async () => {
    const w = await LogWriter.open(log, idx);
    const start = await w.startRun(1);
    const l1 = await w.line(1, "stdout", "hello");
    const l2 = await w.line(1, "stderr", "oops\0bad\rprogress 1\rprogress 2");
    const end = await w.endRun(1, 0);
    const start2 = await w.startRun(2);
    await w.markInterrupted(2);
    await w.close();

    const text = await fsp.readFile(log, "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toBe("=== run 1 start ===");
    expect(lines[1]).toMatch(TS);
    expect(lines[1]?.replace(TS, "")).toBe("run=1 stdout: hello");
    expect(lines[2]?.replace(TS, "")).toBe("run=1 stderr: progress 2");
    expect(lines.slice(3)).toEqual([
      "=== run 1 end (code 0) ===",
      "=== run 2 start ===",
      "=== run 2 end (interrupted) ===",
      "",
    ]);

    const buf = await fsp.readFile(log);
    const at = (o: number) => buf.subarray(o, buf.indexOf(0x0a, o)).toString("utf8");
    expect([start, l1, l2, end, start2].map(at)).toEqual([lines[0], lines[1], lines[2], lines[3], lines[4]]);
    expect(parseIndex(await fsp.readFile(idx, "utf8"))).toEqual([
      { run: 1, start, end: end + Buffer.byteLength("=== run 1 end (code 0) ===\n") },
      { run: 2, start: start2, end: buf.length },
    ]);
  });

  it("splits long and multi-line agent output into several log lines", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(3);
    await w.line(3, "stdout", `${"x".repeat(70_000)}`);
    await w.line(3, "stdout", "a\nb");
    await w.endRun(3, 1);
    await w.close();
    const lines = (await fsp.readFile(log, "utf8")).split("\n").map((l) => l.replace(TS, ""));
    expect(lines[1]).toBe(`run=3 stdout: ${"x".repeat(65_536)}`);
    expect(lines[2]).toBe(`run=3 stdout: ${"x".repeat(70_000 - 65_536)}`);
    expect(lines.slice(3, 5)).toEqual(["run=3 stdout: a", "run=3 stdout: b"]);
  });

  it("appends to an existing log, starting on a fresh line after a torn last line", async () => {
    await fsp.writeFile(log, "=== run 7 start ===\n[2026-01-01T00:00:00Z] run=7 stdout: half");
    const w = await LogWriter.open(log, idx);
    expect(w.offset).toBe((await fsp.stat(log)).size);
    await w.markInterrupted(7);
    const s = await w.startRun(8);
    await w.close();
    const text = await fsp.readFile(log, "utf8");
    expect(text.endsWith("half\n=== run 7 end (interrupted) ===\n=== run 8 start ===\n")).toBe(true);
    expect(Buffer.from(text).subarray(s).toString()).toBe("=== run 8 start ===\n");
    // Run 7's start is unknown to the index (log from before it): only run 8 is indexed.
    expect(parseIndex(await fsp.readFile(idx, "utf8")).map((e) => e.run)).toEqual([8]);
  });

  it("flushes buffered lines by itself after a short delay", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(1);
    await w.line(1, "stdout", "soon");
    const deadline = Date.now() + 10_000;
    while (!(await fsp.readFile(log, "utf8")).includes("soon") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await fsp.readFile(log, "utf8")).toContain("run=1 stdout: soon");
    await w.close();
    await expect(w.line(1, "stdout", "late")).rejects.toThrow(/closed/);
  });

  it("drops an index that points past the end of the log (truncated since)", async () => {
    await fsp.writeFile(idx, '{"run":1,"start":0,"end":5000}\n');
    await fsp.writeFile(log, "");
    const w = await LogWriter.open(log, idx);
    await w.startRun(2);
    await w.close();
    expect(parseIndex(await fsp.readFile(idx, "utf8"))).toEqual([{ run: 2, start: 0, end: null }]);
  });

  it("keeps offsets and the index right when the log is truncated between runs", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(1);
    await w.line(1, "stdout", "before truncation");
    await w.endRun(1, 0);
    await fsp.truncate(log, 0);
    expect(await w.startRun(2)).toBe(0);
    await w.endRun(2, 0);
    await w.close();
    const text = await fsp.readFile(log, "utf8");
    expect(text).toBe("=== run 2 start ===\n=== run 2 end (code 0) ===\n");
    expect(parseIndex(await fsp.readFile(idx, "utf8")).find((e) => e.run === 2)).toEqual({
      run: 2,
      start: 0,
      end: Buffer.byteLength(text),
    });
  });

  it("writes 1,000,000 lines with a bounded buffer", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(1);
    let maxBuffered = 0;
    for (let i = 0; i < 1_000_000; i++) {
      await w.line(1, i % 2 ? "stderr" : "stdout", `line ${i}`);
      if (w.buffered > maxBuffered) maxBuffered = w.buffered;
    }
    await w.endRun(1, 0);
    await w.close();
    expect(maxBuffered).toBeLessThan(64 * 1024 + 200);
    const st = await fsp.stat(log);
    const fh = await fsp.open(log, "r");
    const tail = Buffer.alloc(200);
    await fh.read(tail, 0, 200, st.size - 200);
    await fh.close();
    const lastLines = tail.toString().split("\n").slice(-3);
    expect(lastLines[0]?.replace(TS, "")).toBe("run=1 stderr: line 999999");
    expect(lastLines[1]).toBe("=== run 1 end (code 0) ===");
    expect(w.offset).toBe(st.size);
  }, 300_000);
});
