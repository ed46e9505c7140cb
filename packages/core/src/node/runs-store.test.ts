import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { newRunRecord } from "../runs/record.js";
import { type CarPaths, carPaths } from "./paths.js";
import { listRunRecords, openRawEvents, readRawEvents, readRunRecord, writeRunRecord } from "./runs-store.js";

let root: string;
let paths: CarPaths;

/** One attempt's stdout, chunk by chunk, through openRawEvents. */
async function appendRaw(id: number, ...chunks: Array<string | Buffer>): Promise<void> {
  const w = openRawEvents(paths, id);
  for (const c of chunks) await w.write(typeof c === "string" ? Buffer.from(c) : c);
  await w.end();
}
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-runs-"));
  paths = carPaths(root);
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const rec = (id: number) =>
  newRunRecord({
    id,
    startedAt: "2026-01-01T00:00:00Z",
    todoBefore: { outstanding: 3, done: id },
    backend: "plain",
  });

describe("runs store", () => {
  it("writes and reads a record, creating runs/ on demand", async () => {
    await writeRunRecord(paths, rec(1));
    expect(await readRunRecord(paths, 1)).toEqual(rec(1));
    expect(await fsp.readdir(paths.runsDir)).toEqual(["1.json"]);
  });

  it("RUN_NOT_FOUND for an unknown id; bad ids are rejected", async () => {
    const err = await readRunRecord(paths, 7).catch((e: unknown) => e);
    expect(isCarError(err, "RUN_NOT_FOUND")).toBe(true);
    expect((err as Error).message).toContain("runs/7.json");
    await expect(readRunRecord(paths, -1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(readRunRecord(paths, 1.5)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("lists newest first by numeric id, paginated, skipping and naming corrupt files", async () => {
    expect(await listRunRecords(paths)).toEqual({ records: [], total: 0, corrupt: [] });
    for (const id of [1, 2, 9, 10, 11]) await writeRunRecord(paths, rec(id));
    await fsp.writeFile(join(paths.runsDir, "3.json"), "{oops");
    await fsp.writeFile(join(paths.runsDir, "notes.txt"), "ignored");
    await appendRaw(11, '{"type":"x"}\n');

    const all = await listRunRecords(paths, { limit: 100 });
    expect(all.records.map((r) => r.id)).toEqual([11, 10, 9, 2, 1]);
    expect(all.total).toBe(6);
    expect(all.corrupt).toEqual([join(".codex-autorunner", "runs", "3.json")]);

    const page = await listRunRecords(paths, { limit: 2, offset: 1 });
    expect(page.records.map((r) => r.id)).toEqual([10, 9]);
    expect(page.corrupt).toEqual([]);
    // Pages are over all record files (ids 11, 10, 9, 3, 2, 1): the corrupt one is named where it falls.
    expect((await listRunRecords(paths, { limit: 2, offset: 4 })).records.map((r) => r.id)).toEqual([2, 1]);
    const withCorrupt = await listRunRecords(paths, { limit: 1, offset: 3 });
    expect(withCorrupt).toMatchObject({ records: [], total: 6 });
    expect(withCorrupt.corrupt).toHaveLength(1);
  });

  it("appends the agent's bytes verbatim, in order, each attempt on a line of its own, and reads them back", async () => {
    expect(await readRawEvents(paths, 4)).toEqual([]);
    // Chunk edges fall inside lines and inside a UTF-8 sequence; an invalid byte stays as it was.
    const bytes = Buffer.concat([
      Buffer.from('{"a":1}\n{"b":"é'),
      Buffer.from([0xff]),
      Buffer.from('"}\n{"c":3}'),
    ]);
    await appendRaw(
      4,
      bytes.subarray(0, 3),
      bytes.subarray(3, 14),
      bytes.subarray(14, 15),
      bytes.subarray(15),
    );
    await appendRaw(4);
    await appendRaw(4, '{"d":4}\n');
    const file = await fsp.readFile(join(paths.runsDir, "4.jsonl"));
    expect(file.equals(Buffer.concat([bytes, Buffer.from('\n{"d":4}\n')]))).toBe(true);
    expect(await readRawEvents(paths, 4)).toEqual(['{"a":1}', '{"b":"é\uFFFD"}', '{"c":3}', '{"d":4}']);
  });

  it("makes a writer of raw events wait while a large backlog is queued", async () => {
    const w = openRawEvents(paths, 5);
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const waited = w.write(big);
    expect(waited).toBeInstanceOf(Promise);
    await waited;
    expect(w.write(Buffer.from("\n"))).toBeUndefined();
    await w.end();
    expect((await fsp.stat(join(paths.runsDir, "5.jsonl"))).size).toBe(big.length + 1);
  });

  it("names runs/ when a file is in its place (write, append, list)", async () => {
    await fsp.mkdir(paths.dir, { recursive: true });
    await fsp.writeFile(paths.runsDir, "not a folder\n");
    const ops = [
      () => writeRunRecord(paths, rec(1)),
      () => appendRaw(1, "{}\n"),
      () => listRunRecords(paths),
    ];
    for (const op of ops) {
      const err = await op().catch((e: unknown) => e);
      expect(isCarError(err, "IO_ERROR")).toBe(true);
      expect((err as Error).message).toContain(".codex-autorunner/runs");
    }
    const read = await readRunRecord(paths, 1).catch((e: unknown) => e);
    expect((read as Error).message).toMatch(
      /^Could not read \.codex-autorunner\/runs\/1\.json: a folder on its path is a file/,
    );
  });
});
