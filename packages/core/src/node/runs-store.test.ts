import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { newRunRecord } from "../runs/record.js";
import { type CarPaths, carPaths } from "./paths.js";
import {
  appendRawEvents,
  listRunRecords,
  readRawEvents,
  readRunRecord,
  writeRunRecord,
} from "./runs-store.js";

let root: string;
let paths: CarPaths;
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
    await appendRawEvents(paths, 11, ['{"type":"x"}']);

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

  it("appends and reads raw events", async () => {
    expect(await readRawEvents(paths, 4)).toEqual([]);
    await appendRawEvents(paths, 4, ['{"a":1}', '{"b":2}\n']);
    await appendRawEvents(paths, 4, []);
    await appendRawEvents(paths, 4, ['{"c":3}']);
    expect(await readRawEvents(paths, 4)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(await fsp.readFile(join(paths.runsDir, "4.jsonl"), "utf8")).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
  });

  it("names runs/ when a file is in its place (write, append, list)", async () => {
    await fsp.mkdir(paths.dir, { recursive: true });
    await fsp.writeFile(paths.runsDir, "not a folder\n");
    const ops = [
      () => writeRunRecord(paths, rec(1)),
      () => appendRawEvents(paths, 1, ["{}"]),
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
