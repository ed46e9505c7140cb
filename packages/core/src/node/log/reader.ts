import { promises as fsp } from "node:fs";
import { parseLogLine } from "../../log/format.js";
import type { IndexEntry } from "../../log/index-format.js";
import type { LogEntry } from "../../types.js";
import { isErrno } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import {
  lastStartBackward,
  locateByScan,
  nthLineStartFromEnd,
  scanBackward,
} from "./lookup/backward-scan.js";
import { BISECT_MIN_LOG, BISECT_WINDOW, bisectRunStart } from "./lookup/bisect.js";
import { findEndForward, type ReadFromResult, readEntriesFromHandle } from "./lookup/forward-scan.js";
import { RunIndex, verifiedBlock } from "./lookup/index-lookup.js";
import { isMarkerAt, type Located, readRange } from "./lookup/log-file.js";

// Part of `@codex-autorunner/core/node` since before the lookups had files of their own.
export { bisectRunStart } from "./lookup/bisect.js";
export { type ReadFromResult, readEntriesFromHandle } from "./lookup/forward-scan.js";

/**
 * Reads `codex-autorunner.log` without reading the whole file: a run's block, the last N lines, the
 * last run id and the previous run's output cost time proportional to what they return (plus the
 * size of the last run for `lastRunId` when the index does not show it open), never to the log's size.
 *
 * A run's block is looked up by the first of these that finds it (lookup/*.ts, one file each):
 * 1. the index beside the log, its latest entry for the run read from the index's end, then the whole
 *    index (each entry is verified against the marker at its offset; a stale index is ignored);
 * 2. on a log of 8 MiB or more, bisection by run id (run ids only grow through a log);
 * 3. a scan backwards from the end for the run's start marker (also for logs of the original tool).
 * Complete blocks found by 2 or 3 are appended to the index so the next lookup is direct.
 */
export class LogReader {
  private readonly index: RunIndex;

  constructor(
    readonly logPath: string,
    readonly indexPath: string,
  ) {
    this.index = new RunIndex(logPath, indexPath);
  }

  /** Run `runId`'s block: start marker through end marker (to EOF while it is open), or null. */
  async readRun(runId: number): Promise<string | null> {
    return this.withLog(null, async (fd, size) => {
      const loc = await this.locate(fd, size, runId);
      if (!loc) return null;
      const endAt = loc.endLineEnd ?? (await findEndForward(fd, size, loc.start, runId));
      return (await readRange(fd, loc.start, endAt)).toString("utf8");
    });
  }

  /** The last `n` lines of the log, as they are in the file. */
  async tail(n: number): Promise<string> {
    if (!Number.isFinite(n) || n <= 0) return "";
    return this.withLog("", async (fd, size) => {
      const from = await nthLineStartFromEnd(fd, size, n);
      return (await readRange(fd, from, size)).toString("utf8");
    });
  }

  /** Id of the last run started in the log, or null when there is none. */
  async lastRunId(): Promise<number | null> {
    return this.withLog(null, async (fd, size) => {
      let floor = 0;
      let candidate: number | null = null;
      const runs = await this.index.load(size);
      if (runs) {
        let latest: IndexEntry | null = null;
        for (const r of runs.values()) if (!latest || r.start > latest.start) latest = r;
        if (latest && (await isMarkerAt(fd, size, latest.start, "start", latest.run))) {
          // An open run in the index is the writer's current run: nothing can follow it.
          if (latest.end === null) return latest.run;
          // Runs the index does not know (written by the original, or added lazily) can only start
          // after the latest known start: scan from there.
          candidate = latest.run;
          floor = latest.start;
        }
      }
      return (await lastStartBackward(fd, size, floor)) ?? candidate;
    });
  }

  /**
   * Run `runId`'s agent output (stdout and stderr lines, log prefixes stripped), the last `maxChars`
   * characters of it; "" when the run is not in the log. Reads backwards from the block's end.
   */
  async prevRunOutput(runId: number, maxChars: number): Promise<string> {
    if (maxChars <= 0) return "";
    return this.withLog("", async (fd, size) => {
      const loc = await this.locate(fd, size, runId);
      if (!loc) return "";
      const blockEnd = loc.endLineEnd ?? size;
      const parts: string[] = [];
      let chars = 0;
      await scanBackward(fd, blockEnd, loc.start, (line, offset) => {
        const entry = parseLogLine(line.toString("utf8"), offset);
        if (entry.kind === "line" && entry.runId === runId) {
          parts.push(entry.line);
          chars += entry.line.length + 1;
        }
        return chars > maxChars;
      });
      const text = parts.reverse().join("\n");
      return text.length > maxChars ? text.slice(text.length - maxChars) : text;
    });
  }

  /** Parsed complete lines starting at byte `offset` (SSE replay). At most `limit` entries. */
  async entriesFrom(offset: number, limit = 1000): Promise<LogEntry[]> {
    return (await this.readFrom(offset, limit)).entries;
  }

  /**
   * Like `entriesFrom`, also returning the cursor after the last line. An offset inside a line
   * resumes at the next line; an offset past the end returns nothing (the log was truncated).
   */
  async readFrom(offset: number, limit = 1000): Promise<ReadFromResult> {
    return this.withLog({ entries: [], next: offset, size: 0 }, (fd, size) =>
      readEntriesFromHandle(fd, size, offset, limit),
    );
  }

  private async withLog<T>(missing: T, fn: (fd: fsp.FileHandle, size: number) => Promise<T>): Promise<T> {
    let fd: fsp.FileHandle;
    try {
      fd = await fsp.open(this.logPath, "r");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return missing;
      throw fsError(err, this.logPath, "read");
    }
    try {
      const { size } = await fd.stat();
      // A folder in the log's place opens fine and fails here (EISDIR): named, like any read failure.
      return await fn(fd, size).catch((err: unknown) => {
        throw fsError(err, this.logPath, "read");
      });
    } finally {
      await fd.close();
    }
  }

  /** The strategies in order of cost (see the class comment). */
  private async locate(fd: fsp.FileHandle, size: number, runId: number): Promise<Located | null> {
    // A wrong or stale index line only costs the next strategy: every hit is verified.
    const quick = await verifiedBlock(fd, size, runId, await this.index.lastEntryFor(runId));
    if (quick) return quick;
    const runs = await this.index.load(size);
    const hit = await verifiedBlock(fd, size, runId, runs?.get(runId));
    if (hit) return hit;
    const indexUsable = runs !== null;
    if (size > BISECT_MIN_LOG) {
      const start = await bisectRunStart(fd, size, runId, BISECT_WINDOW);
      if (start !== null) {
        const end = await findEndForward(fd, size, start, runId, true);
        if (end !== null) await this.index.remember([{ run: runId, start, end }], indexUsable);
        return { start, endLineEnd: end };
      }
    }
    const { located, discovered } = await locateByScan(fd, size, runId);
    if (discovered.length > 0) await this.index.remember(discovered, indexUsable);
    return located;
  }
}
