import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isCarError } from "../../errors.js";
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
    expect(maxBuffered).toBeLessThan(LogWriter.MAX_PENDING_BYTES + 200);
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

  it("lines() appends a batch with exact offsets, sanitising what is not one safe line", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(4);
    const a = await w.lines(4, "stdout", ["one", "twö", ""]);
    // A caller passing unsanitised text must not be able to break the line format (fake markers).
    const b = await w.lines(4, "stderr", [
      "x\n=== run 4 end (code 0) ===",
      "a\0b",
      "10%\r100%",
      "y".repeat(70_000),
    ]);
    const c = await w.lines(4, "stdout", []);
    const d = await w.line(4, "stdout", "last");
    const end = await w.endRun(4, 0);
    await w.close();

    const buf = await fsp.readFile(log);
    const lines = buf.toString("utf8").split("\n");
    expect(lines.map((l) => l.replace(TS, ""))).toEqual([
      "=== run 4 start ===",
      "run=4 stdout: one",
      "run=4 stdout: twö",
      "run=4 stdout: ",
      "run=4 stderr: x",
      "run=4 stderr: === run 4 end (code 0) ===",
      "run=4 stderr: a\u2400b",
      "run=4 stderr: 100%",
      `run=4 stderr: ${"y".repeat(65_536)}`,
      `run=4 stderr: ${"y".repeat(70_000 - 65_536)}`,
      "run=4 stdout: last",
      "=== run 4 end (code 0) ===",
      "",
    ]);
    const at = (o: number) => buf.subarray(o, buf.indexOf(0x0a, o)).toString("utf8");
    expect([a, b, d, end].map(at)).toEqual([lines[1], lines[4], lines[10], lines[11]]);
    expect(c).toBe(d);
    expect(parseIndex(await fsp.readFile(idx, "utf8")).at(-1)).toEqual({ run: 4, start: 0, end: buf.length });
  });

  it("block() writes the bytes lines() writes for the same lines, sanitising a block that needs it", async () => {
    const texts = [
      ["one", "twö", "", "😀 three"],
      ["x".repeat(65_536), "y"],
      ["a\0b", "10%\r100%", "z".repeat(70_000)],
      [""],
    ];
    const viaLines = await LogWriter.open(log, idx);
    await viaLines.startRun(2);
    const lineOffsets: number[] = [];
    for (const t of texts) lineOffsets.push(await viaLines.lines(2, "stdout", t));
    await viaLines.endRun(2, 0);
    await viaLines.close();
    const expected = await fsp.readFile(log, "utf8");

    await fsp.rm(log);
    await fsp.rm(idx);
    const viaBlock = await LogWriter.open(log, idx);
    await viaBlock.startRun(2);
    const blockOffsets: number[] = [];
    for (const t of texts) blockOffsets.push(await viaBlock.block(2, "stdout", t.join("\n")));
    await viaBlock.endRun(2, 0);
    await viaBlock.close();
    // Same second for both (the timestamp is the only thing that may differ).
    const strip = (s: string) => s.replace(/^\[[^\]]+\] /gm, "");
    expect(strip(await fsp.readFile(log, "utf8"))).toBe(strip(expected));
    expect(blockOffsets).toEqual(lineOffsets);
  });

  it("coalesces lines appended while a write is in flight, keeping every offset exact", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(5);
    // Not awaited one by one: all but the first arrive while the first write is pending.
    const batches = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + (i % 7) }, (_, j) => `batch ${i} line ${j} ${"é".repeat(i % 5)}`),
    );
    const offsets = await Promise.all(
      batches.map((b, i) => w.lines(5, i % 3 === 0 ? "stderr" : "stdout", b)),
    );
    await w.endRun(5, 0);
    await w.close();
    const buf = await fsp.readFile(log);
    const at = (o: number) => buf.subarray(o, buf.indexOf(0x0a, o)).toString("utf8").replace(TS, "");
    batches.forEach((b, i) => {
      expect(at(offsets[i] as number)).toBe(`run=5 ${i % 3 === 0 ? "stderr" : "stdout"}: ${b[0]}`);
    });
    const bodyLines = buf.toString("utf8").split("\n").slice(1, -2);
    expect(bodyLines.map((l) => l.replace(/^\[[^\]]+\] run=5 std(out|err): /, ""))).toEqual(batches.flat());
    expect(w.offset).toBe(buf.length);
    expect(parseIndex(await fsp.readFile(idx, "utf8"))).toEqual([{ run: 5, start: 0, end: buf.length }]);
  });

  it("writes an idle writer's line through at once, with no timer", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(1);
    // With timers frozen, a line can only reach the file if the writer does not wait for one.
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval", "setImmediate"] });
    try {
      await w.line(1, "stdout", "straight through");
      let text = "";
      const deadline = performance.now() + 10_000;
      while (!text.includes("straight through") && performance.now() < deadline) {
        text = await fsp.readFile(log, "utf8");
      }
      expect(text).toContain("run=1 stdout: straight through");
    } finally {
      vi.useRealTimers();
    }
    await w.close();
  });

  it("keeps the backlog bounded for a caller that awaits lines() batches", async () => {
    const w = await LogWriter.open(log, idx);
    await w.startRun(1);
    const batch = Array.from({ length: 1000 }, (_, i) => `a line of agent output number ${i}`);
    const batchBytes = Buffer.byteLength(
      batch.map((l) => `[2026-01-01T00:00:00Z] run=1 stdout: ${l}\n`).join(""),
    );
    let maxBuffered = 0;
    for (let i = 0; i < 500; i++) {
      await w.lines(1, "stdout", batch);
      maxBuffered = Math.max(maxBuffered, w.buffered);
    }
    await w.endRun(1, 0);
    await w.close();
    expect(maxBuffered).toBeLessThan(LogWriter.MAX_PENDING_BYTES + batchBytes);
    const st = await fsp.stat(log);
    expect(w.offset).toBe(st.size);
    expect(st.size).toBe(
      Buffer.byteLength("=== run 1 start ===\n=== run 1 end (code 0) ===\n") + 500 * batchBytes,
    );
  }, 120_000);

  it("names the log on a full disk (/dev/full answers every write with ENOSPC) and when it is a folder", async () => {
    const full = await LogWriter.open("/dev/full", idx);
    await full.line(1, "stdout", "lost").catch(() => {});
    const err = await full.flush().catch((e: unknown) => e);
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    expect((err as Error).message).toBe(
      "Could not append to /dev/full: no space left on the device; free some space (ENOSPC).",
    );
    await full.close().catch(() => {});

    await fsp.mkdir(log);
    const dirErr = await LogWriter.open(log, idx).catch((e: unknown) => e);
    expect(isCarError(dirErr, "IO_ERROR")).toBe(true);
    expect((dirErr as Error).message).toContain(`Could not open ${log}: it is a folder, not a file`);
  });
});
