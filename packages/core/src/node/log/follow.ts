import { type FSWatcher, promises as fsp, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { LogEntry } from "../../types.js";
import { isErrno } from "../fs/atomic.js";
import { readEntriesFromHandle } from "./lookup/forward-scan.js";

export interface FollowLogOptions {
  /** Byte offset to start from (a line start, e.g. an entry's offset + its length); default: the end. */
  from?: number;
  signal: AbortSignal;
  /** New complete lines, in order. A partial last line waits for its newline. */
  onEntries(entries: LogEntry[]): void;
  /** The log was truncated or replaced (rotation): offsets restart at 0 and entries from 0 follow. */
  onReset?(): void;
  /** An unexpected read error or a throwing callback; following continues. */
  onError?(err: unknown): void;
  /** Safety re-check interval for filesystems where fs.watch misses changes (ms, default 2000). */
  pollMs?: number;
}

export interface LogFollower {
  /** Resolves once stopped (after abort) with the watcher, timer and file handle released. */
  readonly done: Promise<void>;
  /** Offset just past the last line delivered. */
  readonly cursor: number;
}

const BATCH = 1000;

/**
 * Follow the log like `tail -F`: event driven (fs.watch on the folder, so a rotated-in file is seen)
 * plus a slow safety re-stat. Keeps the log open so lines appended to a file just before it was
 * renamed away are still delivered; a smaller size than the cursor (truncation) or a different inode
 * at the path (rotation) restarts at 0 with `onReset`.
 */
export function followLog(logPath: string, options: FollowLogOptions): LogFollower {
  const { signal } = options;
  const name = basename(logPath);
  // Default: the end of the log as it is now (0 when it does not exist yet).
  let cursor = options.from ?? currentSize(logPath);
  let fd: fsp.FileHandle | null = null;
  let ino: number | null = null;
  let running = false;
  let again = false;
  let stopped = false;
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let finish: () => void = () => {};
  let idle: Promise<void> = Promise.resolve();

  const report = (err: unknown) => {
    try {
      options.onError?.(err);
    } catch {
      // an error handler that throws must not stop following
    }
  };
  const reset = () => {
    cursor = 0;
    try {
      options.onReset?.();
    } catch (err) {
      report(err);
    }
  };

  async function drain(handle: fsp.FileHandle): Promise<void> {
    for (;;) {
      if (stopped) return;
      const { size } = await handle.stat();
      if (size < cursor || (cursor > 0 && !(await endsLineAt(handle, cursor)))) reset();
      if (size <= cursor) return;
      const { entries, next } = await readEntriesFromHandle(handle, size, cursor, BATCH);
      if (stopped) return;
      if (next === cursor) return; // only a partial line so far
      cursor = next;
      if (entries.length > 0) {
        try {
          options.onEntries(entries);
        } catch (err) {
          report(err);
        }
      }
    }
  }

  async function openCurrent(): Promise<boolean> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(logPath, "r");
    } catch (err) {
      if (!isErrno(err, "ENOENT")) report(err);
      return false;
    }
    const st = await handle.stat();
    if (stopped) {
      await handle.close();
      return false;
    }
    if (ino !== null && st.ino !== ino) reset(); // a new file at the path: rotation
    fd = handle;
    ino = st.ino;
    return true;
  }

  async function check(): Promise<void> {
    if (fd === null && !(await openCurrent())) return;
    if (fd) await drain(fd);
    if (stopped) return;
    // Replaced or removed? Finish the old file (done above), then switch to the new one.
    const now = await fsp.stat(logPath).catch(() => null);
    if (now && now.ino === ino) return;
    await fd?.close().catch(() => {});
    fd = null;
    if (now && (await openCurrent()) && fd) await drain(fd);
  }

  function schedule(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    idle = (async () => {
      do {
        again = false;
        try {
          await check();
        } catch (err) {
          report(err);
        }
      } while (again && !stopped);
      running = false;
    })();
  }

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    watcher?.close();
    watcher = null;
    if (timer) clearInterval(timer);
    timer = null;
    await idle;
    await fd?.close().catch(() => {});
    fd = null;
    finish();
  };

  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  if (signal.aborted) {
    stopped = true;
    finish();
  } else {
    signal.addEventListener("abort", () => void stop(), { once: true });
    try {
      watcher = watch(dirname(logPath), { persistent: true }, (_event, file) => {
        if (file === null || file === name || String(file) === name) schedule();
      });
      watcher.on("error", () => {
        // The folder went away or the watch limit was hit: the safety poll keeps going.
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
    timer = setInterval(schedule, options.pollMs ?? 2000);
    schedule();
  }

  return {
    done,
    get cursor() {
      return cursor;
    },
  };
}

/** Whether the byte before `offset` is a newline (else the file was rewritten under the cursor). */
async function endsLineAt(handle: fsp.FileHandle, offset: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  const { bytesRead } = await handle.read(b, 0, 1, offset - 1);
  return bytesRead === 1 && b[0] === 0x0a;
}

function currentSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
