import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../../types.js";
import { followLog } from "./follow.js";

let dir: string;
let log: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-follow-"));
  log = join(dir, "codex-autorunner.log");
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const line = (run: number, text: string) => `[2026-01-01T00:00:00Z] run=${run} stdout: ${text}\n`;

/** Count of live handles of the kinds a follower holds (watcher, file handle). */
function handles(): { watchers: number; files: number } {
  const all = process.getActiveResourcesInfo();
  return {
    watchers: all.filter((r) => r === "FSEventWrap").length,
    files: all.filter((r) => r === "FileHandle").length,
  };
}

describe("followLog", () => {
  it("follows appends, waits for partial lines, survives truncation and rotation, stops on abort", async () => {
    await fsp.writeFile(log, `=== run 1 start ===\n${line(1, "a")}`);
    const before = handles();
    const got: LogEntry[] = [];
    let resets = 0;
    const ac = new AbortController();
    const f = followLog(log, {
      from: 0,
      signal: ac.signal,
      onEntries: (e) => got.push(...e),
      onReset: () => {
        resets++;
      },
    });
    const texts = () => got.map((e) => e.raw);
    await waitFor(() => got.length === 2, "initial lines");
    expect(handles().watchers).toBe(before.watchers + 1);
    expect(got[0]).toMatchObject({ kind: "start", runId: 1, offset: 0 });
    expect(got[1]).toMatchObject({ kind: "line", line: "a", offset: 20 });

    // Append, including a partial line that must wait for its newline.
    await fsp.appendFile(log, `${line(1, "b")}[2026-01-01T00:00:00Z] run=1 stdout: par`);
    await waitFor(() => got.length === 3, "appended line");
    await fsp.appendFile(log, "tial\n");
    await waitFor(() => got.length === 4, "completed partial line");
    expect(got[3]).toMatchObject({ kind: "line", line: "partial" });
    expect(f.cursor).toBe((await fsp.stat(log)).size);

    // Truncate and write less than before: restart at 0.
    await fsp.writeFile(log, "=== run 2 start ===\n");
    await waitFor(() => texts().includes("=== run 2 start ==="), "line after truncation");
    expect(resets).toBe(1);
    expect(got.at(-1)).toMatchObject({ kind: "start", runId: 2, offset: 0 });

    // Rotate: a last line into the old file, rename it away, new file at the path.
    await fsp.appendFile(log, line(2, "old file last line"));
    await fsp.rename(log, `${log}.1`);
    await fsp.writeFile(log, "=== run 3 start ===\n");
    await waitFor(() => texts().includes("=== run 3 start ==="), "line after rotation");
    expect(texts()).toContain(line(2, "old file last line").trimEnd());
    expect(resets).toBe(2);
    await fsp.appendFile(log, line(3, "new"));
    await waitFor(() => got.at(-1)?.raw === line(3, "new").trimEnd(), "append to rotated-in file");
    expect(got.at(-1)?.offset).toBe(Buffer.byteLength("=== run 3 start ===\n"));

    // Abort: done resolves, nothing more is delivered, no watcher/timer/handle is left.
    ac.abort();
    await f.done;
    const count = got.length;
    await fsp.appendFile(log, line(3, "after abort"));
    await new Promise((r) => setTimeout(r, 300));
    expect(got.length).toBe(count);
    expect(handles()).toEqual(before);
  });

  it("starts at the end by default and picks up a log created later", async () => {
    await fsp.writeFile(log, "=== run 1 start ===\n");
    const got: LogEntry[] = [];
    const ac = new AbortController();
    const f = followLog(log, { signal: ac.signal, onEntries: (e) => got.push(...e) });
    await fsp.appendFile(log, "=== run 1 end (code 0) ===\n");
    await waitFor(() => got.length === 1, "new line only");
    expect(got[0]).toMatchObject({ kind: "end", runId: 1, code: 0 });
    ac.abort();
    await f.done;

    const later = join(dir, "later.log");
    const got2: LogEntry[] = [];
    const ac2 = new AbortController();
    const f2 = followLog(later, { from: 0, signal: ac2.signal, onEntries: (e) => got2.push(...e) });
    await fsp.writeFile(later, "=== run 5 start ===\n");
    await waitFor(() => got2.length === 1, "line of a created file");
    ac2.abort();
    await f2.done;
  });

  it("delivers a large burst completely and in order", async () => {
    await fsp.writeFile(log, "");
    const got: LogEntry[] = [];
    const ac = new AbortController();
    const f = followLog(log, { from: 0, signal: ac.signal, onEntries: (e) => got.push(...e) });
    let text = "";
    for (let i = 0; i < 5000; i++) text += line(1, `n${i}`);
    await fsp.appendFile(log, text);
    await waitFor(() => got.length === 5000, "5000 lines");
    expect(got.map((e) => (e.kind === "line" ? e.line : "")).join(",")).toBe(
      Array.from({ length: 5000 }, (_, i) => `n${i}`).join(","),
    );
    ac.abort();
    await f.done;
  });

  it("resolves immediately for an already-aborted signal", async () => {
    const f = followLog(log, { signal: AbortSignal.abort(), onEntries: () => {} });
    await f.done;
    expect(f.cursor).toBe(0);
  });
});
