import { promises as fsp } from "node:fs";
import { formatIndexEntry, type IndexEntry, parseIndex, parseIndexLine } from "../../../log/index-format.js";
import { CHUNK, EMPTY, isEndMarkerBefore, isMarkerAt, type Located, NL, readRange } from "./log-file.js";

/**
 * The index beside the log (log/index-format.ts) as a lookup: the run's latest entry read from the
 * index's end (a recent run costs a few KiB), else the whole index, parsed and cached. Entries are
 * derived data and only a hint: `verifiedBlock` checks one against the log's markers. Blocks the
 * other strategies find are appended (`remember`), so the next lookup of them is direct.
 */
export class RunIndex {
  private cache: { key: string; runs: Map<number, IndexEntry> | null } | null = null;

  constructor(
    readonly logPath: string,
    readonly indexPath: string,
  ) {}

  /** The entry the whole-index parse would give for `runId`, read backwards (see lastIndexEntryFor). */
  lastEntryFor(runId: number): Promise<IndexEntry | null> {
    return lastIndexEntryFor(this.indexPath, runId);
  }

  /**
   * The index as a map run → latest block (empty when there is no index), or null when it is
   * unreadable or stale (an entry pointing past the end of the log: it was truncated or rotated).
   */
  async load(logSize: number): Promise<Map<number, IndexEntry> | null> {
    let st: { size: number; mtimeMs: number; ino: number };
    try {
      st = await fsp.stat(this.indexPath);
    } catch {
      return new Map();
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}:${logSize}`;
    if (this.cache?.key === key) return this.cache.runs;
    let runs: Map<number, IndexEntry> | null = new Map();
    try {
      const entries = parseIndex(await fsp.readFile(this.indexPath, "utf8"));
      const beyond = (e: IndexEntry, size: number) => e.start >= size || (e.end !== null && e.end > size);
      // Entries past our snapshot of the log may just be newer than it (the writer appended since):
      // only a log that is smaller right now than what the index describes makes the index stale.
      if (entries.some((e) => beyond(e, logSize))) {
        const now = await fsp.stat(this.logPath).then(
          (s) => s.size,
          () => 0,
        );
        if (entries.some((e) => beyond(e, now))) runs = null;
      }
      if (runs) {
        for (const e of entries) {
          if (e.start < logSize) runs.set(e.run, { run: e.run, start: e.start, end: e.end });
        }
      }
    } catch {
      runs = null;
    }
    this.cache = { key, runs };
    return runs;
  }

  /** Append blocks found without the index to a usable (or absent) index; derived data, failures ignored. */
  async remember(found: IndexEntry[], indexUsable: boolean): Promise<void> {
    const known = this.cache?.runs;
    const fresh = found.filter((f) => {
      const k = known?.get(f.run);
      return !k || k.start !== f.start || k.end !== f.end;
    });
    // A stale index is left for the writer to reset when it opens (it holds the runner lock; a
    // reader truncating it could race with the writer's appends).
    if (fresh.length === 0 || (!indexUsable && (await exists(this.indexPath)))) return;
    const text = fresh
      .sort((a, b) => a.start - b.start)
      .map((f) => formatIndexEntry(f))
      .join("");
    await fsp.appendFile(this.indexPath, text).catch(() => {});
    this.cache = null;
  }
}

/** `hit` as a located block when the log has run `runId`'s start marker at its offset. */
export async function verifiedBlock(
  fd: fsp.FileHandle,
  size: number,
  runId: number,
  hit: IndexEntry | null | undefined,
): Promise<Located | null> {
  if (!hit || hit.start >= size || !(await isMarkerAt(fd, size, hit.start, "start", runId))) return null;
  if (hit.end !== null && (await isEndMarkerBefore(fd, size, hit.end, runId))) {
    return { start: hit.start, endLineEnd: hit.end };
  }
  return { start: hit.start, endLineEnd: null };
}

function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    () => true,
    () => false,
  );
}

/** Whole lines exactly as `formatIndexEntry` writes them (ASCII only), each with its "\n". */
const CANONICAL_INDEX_LINES = /^(?:\{"run":\d+,"start":\d+,"end":(?:\d+|null)\}\n)*$/;

/**
 * The entry the whole-index parse (`parseIndex`: the last valid line for a run wins) would give for
 * `runId`, found by reading the index backwards from its end and stopping at that run's last valid
 * line. A stretch of lines as `formatIndexEntry` writes them is searched as text for the run's
 * `{"run":N,` prefix; any other line goes through `parseIndexLine` one by one, so hand-edited or torn
 * lines count exactly as in the full parse. Null when the index is missing or has no valid line for it.
 */
async function lastIndexEntryFor(indexPath: string, runId: number): Promise<IndexEntry | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(indexPath, "r");
  } catch {
    return null;
  }
  try {
    const { size } = await fh.stat();
    const needle = `{"run":${runId},`;
    const lineFor = (raw: string): IndexEntry | null => {
      const entry = parseIndexLine(raw.trim());
      return entry && entry.run === runId ? entry : null;
    };
    let pos = size;
    let carry: Buffer = EMPTY; // start of the line cut by the previous (later) chunk's start
    let first = true;
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK);
      const read = await readRange(fh, start, pos);
      let buf = carry.length > 0 ? Buffer.concat([read, carry]) : read;
      if (first) {
        first = false;
        // A last line without "\n" (torn by a crash, or not): on its own, like the full parse.
        const lastNl = buf.lastIndexOf(NL);
        if (lastNl < buf.length - 1 && (start === 0 || lastNl >= 0)) {
          const hit = lineFor(buf.subarray(lastNl + 1).toString("utf8"));
          if (hit) return hit;
          buf = buf.subarray(0, lastNl + 1);
        }
      }
      // Whole lines: from just after the first "\n" (or the file's start) to the end of `buf`.
      const cut = start === 0 ? 0 : buf.indexOf(NL) + 1;
      if (cut === 0 && start > 0) {
        carry = buf; // one line longer than a chunk: keep collecting it
        pos = start;
        continue;
      }
      const region = buf.subarray(cut);
      const text = region.toString("latin1");
      if (CANONICAL_INDEX_LINES.test(text)) {
        for (let i = text.lastIndexOf(needle); i >= 0; i = i > 0 ? text.lastIndexOf(needle, i - 1) : -1) {
          const hit = lineFor(text.slice(i, text.indexOf("\n", i)));
          if (hit) return hit;
        }
      } else {
        const lines = region.toString("utf8").split("\n");
        for (let k = lines.length - 1; k >= 0; k--) {
          const hit = lineFor(lines[k]!);
          if (hit) return hit;
        }
      }
      carry = buf.subarray(0, cut);
      pos = start;
    }
    return null;
  } finally {
    await fh.close();
  }
}
