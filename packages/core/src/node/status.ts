import { existsSync, promises as fsp } from "node:fs";
import { join, relative, resolve } from "node:path";
import { agentsView } from "../agents/choose.js";
import type { Config } from "../config/schema.js";
import type { StateBody, TodoEntry } from "../contract/state.js";
import { type CarError, isCarError } from "../errors.js";
import { deriveStatus } from "../state/transitions.js";
import { parseTodo } from "../todo/parse.js";
import type { RunnerState } from "../types.js";
import { loadConfig } from "./config-io.js";
import { readTextIfExists } from "./fs/atomic.js";
import { readQueuedStart } from "./hub/queued.js";
import { lockStatus } from "./lock.js";
import { carPaths } from "./paths.js";
import { findRunProcesses } from "./proc/procfs.js";
import { readState } from "./state-store.js";

/**
 * What `car status --json` prints, `GET /api/state` answers and SSE `event: state` carries: the
 * contract's one status shape (contract/state.ts), built only by `getStatus`.
 */
export type StatusReport = StateBody;

export interface StatusOptions {
  /** Report a broken config.yml in `config_error` instead of throwing (`car status` in an incident). */
  tolerateConfigError?: boolean;
}

/**
 * config.yml for the commands that must still work when it is broken (`car status`, `car log`): a
 * file that exists but does not parse or validate gives `config: null` and the error. A missing file
 * (not initialised) and other failures still throw.
 */
export async function loadConfigLenient(
  root: string,
): Promise<{ config: Config; error: null } | { config: null; error: CarError }> {
  try {
    return { config: (await loadConfig(root)).config, error: null };
  } catch (err) {
    if (isCarError(err) && err.code.startsWith("CONFIG_") && err.code !== "CONFIG_NOT_FOUND") {
      return { config: null, error: err };
    }
    throw err;
  }
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

interface TodoSummary {
  outstanding: number;
  done: number;
  items: TodoEntry[];
}

/** The TODO's counts, or why there are none (missing, unreadable). */
async function readTodoSummary(
  root: string,
  file: string,
): Promise<{ todo: TodoSummary | null; todoError: string | null }> {
  try {
    const todo = await cachedByStat(file, async () => {
      const text = await readTextIfExists(file);
      if (text === null) return null;
      const items = parseTodo(text).map(({ text, done, line }): TodoEntry => ({ text, done, line }));
      const done = items.filter((i) => i.done).length;
      return { outstanding: items.length - done, done, items };
    });
    return { todo, todoError: todo === null ? `${relative(root, file)} does not exist` : null };
  } catch (err) {
    return { todo: null, todoError: `${relative(root, file)}: ${(err as Error).message}` };
  }
}

/** Everything `car status` and `GET /api/state` show. Throws only for a bad config or state.json. */
export async function getStatus(root: string, options: StatusOptions = {}): Promise<StatusReport> {
  const abs = resolve(root);
  const { config, error: configError } = options.tolerateConfigError
    ? await loadConfigLenient(abs)
    : { config: (await loadConfig(abs)).config, error: null };
  const paths = carPaths(abs, config ?? undefined);
  // The lock is never cached: whether its PID is alive changes without the file changing.
  const [state, lock, queued] = await Promise.all([
    cachedByStat(paths.state, () => readState(paths)),
    lockStatus(paths.lock),
    readQueuedStart(paths),
  ]);
  const derived = deriveStatus(state, lock.alive);
  const orphaned = lock.alive ? null : orphanedAgent(state);

  const { todo, todoError } = configError
    ? { todo: null, todoError: "not read: its path comes from config.yml, which is broken" }
    : await readTodoSummary(abs, paths.todo);

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
    last_run_id: state.last_run_id,
    last_exit_code: state.last_exit_code,
    last_run_started_at: state.last_run_started_at,
    last_run_finished_at: state.last_run_finished_at,
    waiting: state.waiting
      ? {
          reason: state.waiting.reason,
          until: state.waiting.until,
          since: state.waiting.since,
          message: state.waiting.message ?? null,
        }
      : null,
    // Only a live runner's run can be quiet (a dead one's leftover is stale).
    quiet: derived.running && state.quiet ? { ...state.quiet } : null,
    notify_error: state.notify_error ?? null,
    agent_pid: state.agent_pid ?? null,
    agent_marker: state.agent_marker ?? null,
    // A hub's queued start shows until a runner takes it (the runner removes the file).
    status: queued && !derived.running ? "queued" : derived.status,
    queued,
    running: derived.running,
    stale: derived.stale,
    reason: derived.reason,
    runner_pid: lock.alive && lock.info ? lock.info.pid : null,
    orphaned_agent: orphaned,
    lock: { info: lock.info, alive: lock.alive, ...(lock.corrupt ? { corrupt: lock.corrupt } : {}) },
    stop_requested: existsSync(paths.stop),
    outstanding_count: todo ? todo.outstanding : null,
    done_count: todo ? todo.done : null,
    todo_items: todo ? todo.items : [],
    todo_error: todoError,
    last_run: lastRun,
    last_verify: state.last_verify ?? null,
    tokens: { last_run: lastRun?.usage ?? null, total: state.tokens_total ?? null },
    cost_usd: { last_run: lastRun?.cost_usd ?? null, total: state.cost_total_usd ?? null },
    agents: agentsView(config?.runner ?? null, state.agent_limits, new Date()),
    config_error: configError ? configError.message : null,
  };
}

/** The processes of the run state.json names, when any is alive (only asked when no runner is). */
function orphanedAgent(state: RunnerState): StatusReport["orphaned_agent"] {
  const marker = state.agent_marker ?? null;
  const pgid = state.agent_pid ?? null;
  if (marker === null && pgid === null) return null;
  const alive = findRunProcesses({ marker, pgid });
  return alive.length > 0 ? { pid: pgid, processes: alive.length } : null;
}
