import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
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

/** Everything `car status` and `GET /api/status` show. Throws only for a bad config or state.json. */
export async function getStatus(root: string): Promise<StatusReport> {
  const abs = resolve(root);
  const { config } = await loadConfig(abs);
  const paths = carPaths(abs, config);
  const [state, lock] = await Promise.all([readState(paths), lockStatus(paths.lock)]);
  const derived = deriveStatus(state, lock.alive);

  let todo: StatusReport["todo"] = null;
  let todoError: string | null = null;
  try {
    const text = await readTextIfExists(paths.todo);
    if (text === null) todoError = `${relative(abs, paths.todo)} does not exist`;
    else {
      const items = parseTodo(text);
      const done = items.filter((i) => i.done).length;
      todo = { outstanding: items.length - done, done, items };
    }
  } catch (err) {
    todoError = `${relative(abs, paths.todo)}: ${(err as Error).message}`;
  }

  // runs-store parses records with zod: loaded only when there is a record to read.
  const lastRun =
    state.last_run_id === null
      ? null
      : await import("./runs-store.js")
          .then(({ readRunRecord }) => readRunRecord(paths, state.last_run_id as number))
          .catch(() => null);
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
