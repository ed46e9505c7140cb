import { open } from "node:fs/promises";
import type { LogEntry } from "@codex-autorunner/core";

/**
 * SSE id scheme for `GET /api/logs/stream`.
 *
 * An id is a *virtual byte offset*: `base + end`, where `end` is the byte offset just past the line
 * (where the next line starts) in the current log file, and `base` is 0 until the log is first
 * truncated or rotated. So a client that sends `Last-Event-ID: N` asks for everything from byte
 * `N - base` on, and `0` means "from the beginning". On truncation/rotation the server moves `base`
 * past every id it has given out and sends `event: reset` with the new base as its id: ids only grow
 * while a server runs. Across a server restart `base` starts again at 0; a client whose id is then
 * beyond the end of the log gets `event: reset` (without an id) and the log from its start.
 */

/** A log line with its SSE id. */
export interface StreamEntry {
  id: number;
  entry: LogEntry;
}

/**
 * Ids for a batch of consecutive complete lines: each line ends where the next begins, the last one
 * at `next` (the reader's cursor after the batch). Byte-exact even for lines that are not valid UTF-8.
 */
export function withIds(entries: readonly LogEntry[], next: number, base: number): StreamEntry[] {
  return entries.map((entry, i) => ({
    id: base + (i + 1 < entries.length ? entries[i + 1]!.offset : next),
    entry,
  }));
}

/** Offset of the start of the line containing byte `size - 1`'s successor: the last line start ≤ size. */
export async function lineStartAtOrBefore(path: string, size: number): Promise<number> {
  if (size <= 0) return 0;
  const fd = await open(path, "r").catch(() => null);
  if (!fd) return 0;
  try {
    const CHUNK = 64 * 1024;
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await fd.read(buf, 0, buf.length, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
      if (nl !== -1) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await fd.close();
  }
}
