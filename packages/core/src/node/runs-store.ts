import { promises as fsp } from "node:fs";
import { join, relative } from "node:path";
import { CarError, isCarError } from "../errors.js";
import { parseRunRecord, serializeRunRecord } from "../runs/record.js";
import type { RunRecord } from "../types.js";
import { isErrno, readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import type { CarPaths } from "./paths.js";

/** `runs/<id>.json` (one RunRecord per run, atomic) and `runs/<id>.jsonl` (raw agent events). */

type RunsPaths = Pick<CarPaths, "root" | "runsDir">;

export interface RunRecordPage {
  /** Newest first. */
  records: RunRecord[];
  /** Number of runs/<id>.json files (readable or not). */
  total: number;
  /** Repo-relative names of files in this page that could not be parsed (skipped, not fatal). */
  corrupt: string[];
}

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new CarError("INVALID_ARGUMENT", `Run id must be a non-negative integer, got ${String(id)}.`, {
      key: "id",
      found: String(id),
    });
  }
}

const recordPath = (paths: RunsPaths, id: number) => join(paths.runsDir, `${id}.json`);
const eventsPath = (paths: RunsPaths, id: number) => join(paths.runsDir, `${id}.jsonl`);
const rel = (paths: RunsPaths, p: string) => relative(paths.root, p) || p;

export async function writeRunRecord(paths: RunsPaths, record: RunRecord): Promise<void> {
  checkId(record.id);
  await fsp.mkdir(paths.runsDir, { recursive: true });
  await writeFileAtomic(recordPath(paths, record.id), serializeRunRecord(record));
}

export async function readRunRecord(paths: RunsPaths, id: number): Promise<RunRecord> {
  checkId(id);
  const file = recordPath(paths, id);
  const text = await readTextIfExists(file);
  if (text === null) {
    throw new CarError("RUN_NOT_FOUND", `No record for run ${id} (${rel(paths, file)} does not exist).`, {
      file: rel(paths, file),
      run_id: id,
    });
  }
  return parseRunRecord(text, rel(paths, file));
}

/** Run ids that have a record, newest (highest) first. */
export async function listRunIds(paths: RunsPaths): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(paths.runsDir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  return names
    .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter(Number.isSafeInteger)
    .sort((a, b) => b - a);
}

/** A page of records, newest first. Unparseable files are skipped and named in `corrupt`. */
export async function listRunRecords(
  paths: RunsPaths,
  options: { limit?: number; offset?: number } = {},
): Promise<RunRecordPage> {
  const ids = await listRunIds(paths);
  const offset = Math.max(0, options.offset ?? 0);
  const limit = Math.max(0, options.limit ?? 50);
  const records: RunRecord[] = [];
  const corrupt: string[] = [];
  for (const id of ids.slice(offset, offset + limit)) {
    try {
      records.push(await readRunRecord(paths, id));
    } catch (err) {
      if (isCarError(err, "RUN_NOT_FOUND")) continue; // removed meanwhile
      if (isCarError(err) || err instanceof SyntaxError) corrupt.push(rel(paths, recordPath(paths, id)));
      else throw err;
    }
  }
  return { records, total: ids.length, corrupt };
}

/** Append raw agent event lines (e.g. `codex exec --json` output) to runs/<id>.jsonl. */
export async function appendRawEvents(paths: RunsPaths, id: number, lines: readonly string[]): Promise<void> {
  checkId(id);
  if (lines.length === 0) return;
  await fsp.mkdir(paths.runsDir, { recursive: true });
  const text = lines.map((l) => (l.endsWith("\n") ? l : `${l}\n`)).join("");
  await fsp.appendFile(eventsPath(paths, id), text);
}

/** The raw event lines of a run ([] when none were kept). */
export async function readRawEvents(paths: RunsPaths, id: number): Promise<string[]> {
  checkId(id);
  const text = await readTextIfExists(eventsPath(paths, id));
  if (text === null) return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
