/**
 * `codex-autorunner.log.idx`: where each run's block sits in the log, one JSON object per line:
 *
 *   {"run":12,"start":1234,"end":null}     <- written when the start marker is
 *   {"run":12,"start":1234,"end":5678}     <- written after the end marker
 *
 * `start` = byte offset of the start marker line, `end` = byte offset just after the end marker
 * line (its "\n"), null while the run is open. The file is append-only; a later line for the same
 * run replaces the earlier one. It is derived data: a reader must check the offsets against the log
 * (e.g. the bytes at `start` are that run's start marker) and rebuild the index when they disagree.
 */
export interface IndexEntry {
  run: number;
  start: number;
  end: number | null;
}

/** One index line INCLUDING its trailing "\n" (so an append is always a whole line). */
export function formatIndexEntry(entry: IndexEntry): string {
  return `${JSON.stringify({ run: entry.run, start: entry.start, end: entry.end })}\n`;
}

const isOffset = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Parse one line; null when it is not a valid entry. */
export function parseIndexLine(line: string): IndexEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const { run, start, end } = value as Record<string, unknown>;
  if (!isOffset(run) || !isOffset(start)) return null;
  if (end !== null && !(isOffset(end) && end > start)) return null;
  return { run, start, end };
}

export interface ParsedIndex {
  /** One entry per run (the last line written for it wins), sorted by `start` (= log order). */
  entries: IndexEntry[];
  /** Lines that were not valid entries. A torn LAST line (crash mid-append) is not counted. */
  invalidLines: number;
}

/**
 * Parse the whole index. A torn last line (no "\n", not valid JSON) after a crash is ignored; blank
 * lines are ignored; any other invalid line is skipped and counted in `invalidLines`, so a caller can
 * decide to rebuild.
 */
export function parseIndexDetailed(text: string): ParsedIndex {
  const byRun = new Map<number, IndexEntry>();
  let invalidLines = 0;
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "") return;
    const entry = parseIndexLine(trimmed);
    if (entry) {
      byRun.delete(entry.run);
      byRun.set(entry.run, entry);
    } else if (i < lines.length - 1) {
      invalidLines++;
    }
  });
  const entries = [...byRun.values()].sort((a, b) => a.start - b.start);
  return { entries, invalidLines };
}

/** Entries of the index (see parseIndexDetailed), sorted by `start`. */
export function parseIndex(text: string): IndexEntry[] {
  return parseIndexDetailed(text).entries;
}
