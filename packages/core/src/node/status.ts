import { existsSync, promises as fsp } from "node:fs";
import { join, relative, resolve } from "node:path";
import { deriveStatus } from "../state/transitions.js";
import { parseTodo, type TodoItem } from "../todo/parse.js";
import type { LockInfo, RunnerState, RunnerStatus, RunRecord, TokenUsage } from "../types.js";
import { loadConfig } from "./config-io.js";
import { readTextIfExists } from "./fs/atomic.js";
import { lockStatus } from "./lock.js";
import { carPaths } from "./paths.js";
import { readState } from "./state-store.js";

export interface StatusReport {
  root: string;
  /** state.json as written by the runner. */
  state: RunnerState;
  /** What to show: derived from the lock's live PID, so a dead runner never shows running. */
  status: RunnerStatus;
  running: boolean;
  /** state.json says running but no runner is alive (crashed / killed -9). */
  stale: boolean;
  reason: string | null;
  /** The live runner's PID, else null. */
  runner_pid: number | null;
  lock: { info: LockInfo | null; alive: boolean; corrupt?: string };
  todo: { outstanding: number; done: number; items: TodoItem[] } | null;
  /** Why `todo` is null (file missing or unreadable). */
  todo_error: string | null;
  last_run: RunRecord | null;
  tokens: { last_run: TokenUsage | null; total: TokenUsage | null };
  /** A stop request is pending (the runner will stop after its current run). */
  stop_requested: boolean;
}

/**
 * Results of reading and parsing one file, kept while the file's stat (dev, ino, size, mtime, ctime)
 * is unchanged, so a server polled for status re-parses only what changed. A file changed less than
 * RACY_MS before it was read is not kept (timestamps are as coarse as the kernel's tick, so two
 * same-size writes within one tick can share a stat). Callers get their own copy of the value.
 */
const fileCache = new Map<string, { key: string; value: unknown }>();
const FILE_CACHE_MAX = 256;
const RACY_MS = 2000;

async function statKey(file: string): Promise<string | null> {
  const now = Date.now();
  const st = await fsp.stat(file, { bigint: true }).catch(() => null);
  if (!st) return null;
  const changedMs = Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
  if (now - changedMs < RACY_MS) return null;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** `load()` (which reads `file`), or its cached result while `file` is unchanged. Errors are not cached. */
async function cachedByStat<T>(file: string, load: () => Promise<T>): Promise<T> {
  const before = await statKey(file);
  const hit = fileCache.get(file);
  if (before !== null && hit?.key === before) return structuredClone(hit.value) as T;
  const value = await load();
  if (before !== null && (await statKey(file)) === before) {
    fileCache.delete(file);
    if (fileCache.size >= FILE_CACHE_MAX) fileCache.delete(fileCache.keys().next().value as string);
    fileCache.set(file, { key: before, value: structuredClone(value) });
  }
  return value;
}

/** Everything `car status` and `GET /api/status` show. Throws only for a bad config or state.json. */
export async function getStatus(root: string): Promise<StatusReport> {
  const abs = resolve(root);
  const { config } = await loadConfig(abs);
  const paths = carPaths(abs, config);
  // The lock is never cached: whether its PID is alive changes without the file changing.
  const [state, lock] = await Promise.all([
    cachedByStat(paths.state, () => readState(paths)),
    lockStatus(paths.lock),
  ]);
  const derived = deriveStatus(state, lock.alive);

  let todo: StatusReport["todo"] = null;
  let todoError: string | null = null;
  try {
    todo = await cachedByStat(paths.todo, async () => {
      const text = await readTextIfExists(paths.todo);
      if (text === null) return null;
      const items = parseTodo(text);
      const done = items.filter((i) => i.done).length;
      return { outstanding: items.length - done, done, items };
    });
    if (todo === null) todoError = `${relative(abs, paths.todo)} does not exist`;
  } catch (err) {
    todoError = `${relative(abs, paths.todo)}: ${(err as Error).message}`;
  }

  // runs-store parses records with zod: loaded only when there is a record to read.
  const lastRun =
    state.last_run_id === null
      ? null
      : await cachedByStat(join(paths.runsDir, `${state.last_run_id}.json`), () =>
          import("./runs-store.js").then(({ readRunRecord }) =>
            readRunRecord(paths, state.last_run_id as number),
          ),
        ).catch(() => null);
  return {
    root: abs,
    state,
    status: derived.status,
    running: derived.running,
    stale: derived.stale,
    reason: derived.reason,
    runner_pid: lock.alive && lock.info ? lock.info.pid : null,
    lock: { info: lock.info, alive: lock.alive, ...(lock.corrupt ? { corrupt: lock.corrupt } : {}) },
    todo,
    todo_error: todoError,
    last_run: lastRun,
    tokens: { last_run: lastRun?.usage ?? null, total: state.tokens_total ?? null },
    stop_requested: existsSync(paths.stop),
  };
}
