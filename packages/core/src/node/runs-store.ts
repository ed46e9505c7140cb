import { promises as fsp } from "node:fs";
import { join, relative } from "node:path";
import { CarError, isCarError } from "../errors.js";
import { parseRunRecord, serializeRunRecord } from "../runs/record.js";
import type { RunRecord } from "../types.js";
import { isErrno, readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";
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

/** `op`, with a file-system failure turned into IO_ERROR naming `p` (a file where runs/ belongs, a full disk). */
function named<T>(paths: RunsPaths, p: string, action: string, op: Promise<T>): Promise<T> {
  return op.catch((err: unknown) => {
    throw fsError(err, rel(paths, p), action, p);
  });
}

export async function writeRunRecord(paths: RunsPaths, record: RunRecord): Promise<void> {
  checkId(record.id);
  await named(paths, paths.runsDir, "create the folder", fsp.mkdir(paths.runsDir, { recursive: true }));
  const file = recordPath(paths, record.id);
  await named(paths, file, "write", writeFileAtomic(file, serializeRunRecord(record)));
}

export async function readRunRecord(paths: RunsPaths, id: number): Promise<RunRecord> {
  checkId(id);
  const file = recordPath(paths, id);
  const text = await named(paths, file, "read", readTextIfExists(file));
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
    throw fsError(err, rel(paths, paths.runsDir), "list", paths.runsDir);
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

/** Bytes of raw events queued behind the write in flight above which the agent's output waits. */
const RAW_BACKLOG_BYTES = 1024 * 1024;

export interface RawEventsWriter {
  /** Queue a chunk of the agent's stdout; returns a promise to wait on while the backlog is full. */
  write(chunk: Buffer): undefined | Promise<void>;
  /**
   * Write what is queued, end the file with a newline if the output did not end with one (the next
   * attempt starts on a line of its own), close it. Rejects with IO_ERROR naming the file when any
   * write failed (the chunks after a failure are dropped).
   */
  end(): Promise<void>;
}

/**
 * runs/<id>.jsonl as the agent printed it: the bytes of its stdout (`codex exec --json` events),
 * appended verbatim as they arrive, one write at a time; every attempt of a run appends its own. No
 * line is decoded or joined here, so a 12 MB event costs no copy of its own.
 */
export function openRawEvents(paths: RunsPaths, id: number): RawEventsWriter {
  checkId(id);
  const file = eventsPath(paths, id);
  let handle: Promise<fsp.FileHandle> | null = null;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let queued = 0;
  let endsLine = true;
  const open = (): Promise<fsp.FileHandle> => {
    handle ??= named(
      paths,
      paths.runsDir,
      "create the folder",
      fsp.mkdir(paths.runsDir, { recursive: true }),
    ).then(() => named(paths, file, "open", fsp.open(file, "a")));
    return handle;
  };
  const writeAll = async (buf: Buffer) => {
    const fh = await open();
    for (let done = 0; done < buf.length; ) {
      const { bytesWritten } = await named(paths, file, "append to", fh.write(buf, done));
      done += bytesWritten;
    }
  };
  const enqueue = (buf: Buffer): Promise<void> => {
    queued += buf.length;
    chain = chain
      .then(() => (failure === null ? writeAll(buf) : undefined))
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        queued -= buf.length;
      });
    return chain;
  };
  return {
    write(chunk) {
      if (chunk.length === 0 || failure !== null) return undefined;
      endsLine = chunk[chunk.length - 1] === 10;
      const written = enqueue(chunk);
      return queued > RAW_BACKLOG_BYTES ? written : undefined;
    },
    async end() {
      if (!endsLine) enqueue(Buffer.from("\n"));
      endsLine = true;
      await chain;
      const fh = handle ? await handle.catch(() => null) : null;
      handle = null;
      await fh?.close().catch(() => {});
      if (failure !== null) throw failure;
    },
  };
}

/** The raw event lines of a run ([] when none were kept). */
export async function readRawEvents(paths: RunsPaths, id: number): Promise<string[]> {
  checkId(id);
  const file = eventsPath(paths, id);
  const text = await named(paths, file, "read", readTextIfExists(file));
  if (text === null) return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
