/** JSON shapes of the server's API (packages/server), as the UI reads them. */
import type { LockInfo, RunnerState, RunRecord } from "@codex-autorunner/core";

export interface TodoEntry {
  text: string;
  done: boolean;
  line: number;
}

/**
 * GET /api/state (also the data of SSE `event: state`): state.json plus live facts derived by the
 * server from the lock's PID (so a crashed runner never shows as running).
 */
export interface StateResponse extends RunnerState {
  /** Null when the TODO could not be read (see todo_error). */
  outstanding_count: number | null;
  done_count: number | null;
  /** The runner process is alive. */
  running: boolean;
  /** state.json says running but the runner is dead. */
  stale?: boolean;
  stop_requested?: boolean;
  lock: { info: LockInfo | null; alive: boolean } | null;
  /** Parsed TODO items (the server's name; `todo` accepted too). */
  todo_items?: TodoEntry[];
  todo?: TodoEntry[];
  todo_error?: string | null;
  last_run?: RunRecord | null;
  tokens?: unknown;
}

/** The state's TODO items whichever key the server used. */
export function stateTodo(state: StateResponse | null): TodoEntry[] {
  return state?.todo_items ?? state?.todo ?? [];
}

/** GET/PUT /api/docs/:kind */
export interface DocResponse {
  kind: string;
  content: string;
  etag: string;
  mtime: string;
}

/** GET /api/docs */
export interface DocsIndexResponse {
  todo: string;
  progress: string;
  opinions: string;
  extras?: Record<string, string>;
}

export interface RunStartResponse {
  running: boolean;
  once?: boolean;
  pid?: number | null;
}

export interface RunsPage {
  runs: RunRecord[];
  /** Total number of records when the server knows it. */
  total: number | null;
  /** Offset/cursor to ask for the next page, null when this was the last page. */
  next: number | null;
}

export interface LogsResponse {
  run_id?: number | null;
  tail?: number;
  log: string;
}

/** `event: log` data on /api/logs/stream. */
export interface LogEventData {
  run_id: number | null;
  ts: string | null;
  /** null for lines that are neither agent output nor a marker. */
  stream: "stdout" | "stderr" | null;
  line: string;
}

/** `event: run` data: a run marker (`line` is the raw marker line). */
export interface RunEventData {
  run_id: number;
  phase: "start" | "end";
  code: number | null;
  line?: string;
}
