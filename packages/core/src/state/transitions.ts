import { isAgentName } from "../agents/names.js";
import { CarError } from "../errors.js";
import { parseWaiting, type Waiting } from "../limits/waiting.js";
import { formatTimestamp } from "../log/format.js";
import type { RunnerState, RunnerStatus } from "../types.js";

/**
 * `state.json` as pure values: parse/serialise and the transitions the loop makes. Every transition
 * returns a new object and keeps fields it does not know (written by another version).
 */

const STATUSES: readonly RunnerStatus[] = ["idle", "running", "waiting", "waiting_input", "error"];
/** Statuses only a live runner can be in. */
const LIVE_STATUSES: readonly RunnerStatus[] = ["running", "waiting", "waiting_input"];

/** state.json says a runner is at work (running, or waiting for a limit or an answer). */
export function isLiveStatus(status: RunnerStatus): boolean {
  return LIVE_STATUSES.includes(status);
}

/** A limit wait survives a killed/crashed runner, so `car resume` honours what is left of it. */
const keptWait = (state: RunnerState): Waiting | null =>
  state.waiting?.reason === "rate_limit" ? state.waiting : null;

export function initialState(): RunnerState {
  return {
    last_run_id: null,
    status: "idle",
    last_exit_code: null,
    last_run_started_at: null,
    last_run_finished_at: null,
    runner_pid: null,
  };
}

type At = Date | string;
const stamp = (at: At | undefined): string =>
  typeof at === "string" ? at : formatTimestamp(at ?? new Date());

function corrupt(file: string, what: string, extra: Record<string, unknown> = {}): CarError {
  return new CarError(
    "STATE_CORRUPT",
    `${file}: ${what}. Fix or delete the file (it is rewritten on the next run).`,
    {
      file,
      ...extra,
    },
  );
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/**
 * Parse state.json. Accepts the original's fields (a missing one counts as null / "idle"), keeps
 * unknown fields, and throws STATE_CORRUPT naming the file and the bad field otherwise. Never
 * silently resets: a corrupt file is the user's to inspect.
 */
export function parseState(text: string, file: string): RunnerState {
  if (text.trim() === "") throw corrupt(file, "the file is empty");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw corrupt(file, "expected a JSON object");
  }
  const obj = value as Record<string, unknown>;
  const check = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    const v = obj[key];
    if (v === undefined || v === null || ok(v)) return;
    throw corrupt(file, `${key}: expected ${expected}, found ${JSON.stringify(v)}`, {
      key,
      expected,
      found: JSON.stringify(v),
    });
  };
  check("last_run_id", (v) => isInt(v) && v >= 0, "a run number or null");
  check(
    "status",
    (v) => STATUSES.includes(v as RunnerStatus),
    '"idle", "running", "waiting", "waiting_input" or "error"',
  );
  check("last_exit_code", isInt, "an integer or null");
  check("last_run_started_at", (v) => typeof v === "string", "a timestamp string or null");
  check("last_run_finished_at", (v) => typeof v === "string", "a timestamp string or null");
  check("runner_pid", (v) => isInt(v) && v > 0, "a process id or null");
  check("agent_pid", (v) => isInt(v) && v > 0, "a process id or null");
  check("agent_marker", (v) => typeof v === "string" && v !== "", "a run marker string or null");
  check("reason", (v) => typeof v === "string", "a string or null");
  check("waiting", (v) => parseWaiting(v) !== null, "{reason, until, since, message?} or null");
  const fields = (v: unknown, ok: (o: Record<string, unknown>) => boolean) =>
    typeof v === "object" && v !== null && !Array.isArray(v) && ok(v as Record<string, unknown>);
  check(
    "quiet",
    (v) =>
      fields(
        v,
        (o) =>
          isInt(o.run_id) &&
          typeof o.since === "string" &&
          (o.last_command === null || typeof o.last_command === "string"),
      ),
    "{run_id, since, last_command} or null",
  );
  check(
    "notify_error",
    (v) => fields(v, (o) => ["target", "event", "error", "at"].every((k) => typeof o[k] === "string")),
    "{target, event, error, at} or null",
  );
  check("tokens_total", (v) => typeof v === "object" && !Array.isArray(v), "token totals or null");
  check("cost_total_usd", (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "a cost ≥ 0 or null");
  check(
    "agent_limits",
    (v) =>
      fields(v, (o) =>
        // An agent this version does not know (written by a newer one) is ignored, not refused; it is
        // dropped when this version next writes the limits.
        Object.entries(o).every(
          ([agent, l]) =>
            !isAgentName(agent) ||
            fields(l, (e) => typeof e.until === "string" && typeof e.message === "string"),
        ),
      ),
    "{<agent>: {until, message}} or null",
  );
  check(
    "last_verify",
    (v) => {
      const o = v as Record<string, unknown>;
      return (
        typeof v === "object" &&
        isInt(o.run_id) &&
        o.run_id >= 1 &&
        typeof o.passed === "boolean" &&
        (o.failed_command === null || typeof o.failed_command === "string") &&
        isInt(o.consecutive_failures) &&
        o.consecutive_failures >= 0 &&
        typeof o.at === "string"
      );
    },
    "{run_id, passed, failed_command, consecutive_failures, at} or null",
  );
  const nul = <T>(v: unknown): T | null => (v === undefined ? null : (v as T | null));
  return {
    ...obj,
    last_run_id: nul(obj.last_run_id),
    ...(obj.waiting !== undefined ? { waiting: parseWaiting(obj.waiting) } : {}),
    status: (obj.status as RunnerStatus | undefined | null) ?? "idle",
    last_exit_code: nul(obj.last_exit_code),
    last_run_started_at: nul(obj.last_run_started_at),
    last_run_finished_at: nul(obj.last_run_finished_at),
    runner_pid: nul(obj.runner_pid),
  };
}

/** Pretty JSON with a trailing newline (what the original wrote, readable in an editor). */
export function serializeState(state: RunnerState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** A run starts: status running, its id and start time; the previous run's end fields are cleared. */
export function markRunning(
  state: RunnerState,
  opts: { runId: number; runnerPid: number; at?: At; agentPid?: number | null; agentMarker?: string | null },
): RunnerState {
  return {
    ...state,
    status: "running",
    last_run_id: opts.runId,
    last_run_started_at: stamp(opts.at),
    last_run_finished_at: null,
    last_exit_code: null,
    runner_pid: opts.runnerPid,
    agent_pid: opts.agentPid ?? null,
    agent_marker: opts.agentMarker ?? null,
    reason: null,
    waiting: null,
    quiet: null,
  };
}

/** The agent child is known (spawned): record its pid (= process group) so `kill` can reach it. */
export function markAgentStarted(state: RunnerState, agentPid: number | null): RunnerState {
  return { ...state, agent_pid: agentPid };
}

/**
 * A run ended with an exit code: 0 → idle, else error with a reason. The runner itself keeps
 * going (runner_pid kept); use `markRunnerExited` when the loop ends. A limit wait the run was in
 * when it was stopped stays (a later `car resume` honours it).
 */
export function markFinished(
  state: RunnerState,
  opts: { exitCode: number; at?: At; reason?: string | null; status?: RunnerStatus },
): RunnerState {
  const failed = opts.exitCode !== 0;
  return {
    ...state,
    status: opts.status ?? (failed ? "error" : "idle"),
    last_exit_code: opts.exitCode,
    last_run_finished_at: stamp(opts.at),
    agent_pid: null,
    agent_marker: null,
    reason:
      opts.reason !== undefined ? opts.reason : failed ? `agent exited with code ${opts.exitCode}` : null,
    quiet: null,
  };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** Shell convention: a process ended by signal N reports 128 + N (SIGTERM → 143, SIGKILL → 137). */
export function signalExitCode(signal: string): number | null {
  const n = SIGNALS[signal];
  return n === undefined ? null : 128 + n;
}

/** The runner (and its agent) were killed (`car kill`, or a signal): status error with the signal. */
export function markKilled(
  state: RunnerState,
  opts: { signal: string; at?: At; exitCode?: number | null },
): RunnerState {
  return {
    ...state,
    status: "error",
    last_exit_code: opts.exitCode !== undefined ? opts.exitCode : signalExitCode(opts.signal),
    last_run_finished_at: stamp(opts.at),
    runner_pid: null,
    agent_pid: null,
    agent_marker: null,
    reason: `killed by ${opts.signal}`,
    waiting: keptWait(state),
    quiet: null,
  };
}

/**
 * Recovery after a runner died mid-run (state said running, PID dead): the dangling run is closed
 * as interrupted. Status error by default so the user notices the crash.
 */
export function markInterrupted(
  state: RunnerState,
  opts: { at?: At; reason?: string; status?: RunnerStatus } = {},
): RunnerState {
  const run = state.last_run_id === null ? "" : ` (run ${state.last_run_id})`;
  return {
    ...state,
    status: opts.status ?? "error",
    last_exit_code: null,
    last_run_finished_at: stamp(opts.at),
    runner_pid: null,
    agent_pid: null,
    agent_marker: null,
    reason: opts.reason ?? `runner stopped unexpectedly${run}`,
    waiting: keptWait(state),
    quiet: null,
  };
}

/**
 * The loop ended (any way): no runner, no agent; status kept unless it still says running (or
 * waiting). An unfinished limit wait stays for `car resume`; a question nobody answered does not.
 */
export function markRunnerExited(
  state: RunnerState,
  opts: { status?: RunnerStatus; reason?: string | null } = {},
): RunnerState {
  const status = opts.status ?? (LIVE_STATUSES.includes(state.status) ? "error" : state.status);
  return {
    ...state,
    status,
    runner_pid: null,
    agent_pid: null,
    agent_marker: null,
    waiting: keptWait(state),
    quiet: null,
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
  };
}

/**
 * A wait begins (status "waiting" for a limit, "waiting_input" for the agent's question) or ends
 * (null: back to "running" while a run is open, else "idle").
 */
export function markWaiting(state: RunnerState, waiting: Waiting | null, runOpen: boolean): RunnerState {
  return { ...state, ...waitingPatch(waiting, runOpen) };
}

/** markWaiting's change alone, for callers that patch state.json (the engine's run). */
export function waitingPatch(
  waiting: Waiting | null,
  runOpen: boolean,
): Pick<RunnerState, "waiting" | "status"> {
  if (waiting === null) return { waiting: null, status: runOpen ? "running" : "idle" };
  return { waiting, status: waiting.reason === "needs_input" ? "waiting_input" : "waiting" };
}

export interface DerivedStatus {
  status: RunnerStatus;
  /** True only when the runner process is alive (checked from the lock's PID by the caller). */
  running: boolean;
  /** state.json says running but no runner is alive: it crashed or was killed -9. */
  stale: boolean;
  reason: string | null;
}

/**
 * What to show users. The file alone is not trusted: a runner killed with -9 leaves "running" behind.
 * - runner alive → "running" (also between runs, while it sleeps: the loop is running), or the
 *   wait it is in ("waiting" for a limit, "waiting_input" for an answer).
 * - runner dead, file says running → "error", stale: the run was cut off, which is an error the
 *   user should see (recovery later writes the interrupted end marker and markInterrupted).
 * - otherwise → the file's status.
 */
export function deriveStatus(state: RunnerState, runnerAlive: boolean): DerivedStatus {
  if (runnerAlive) {
    const waiting = state.status === "waiting" || state.status === "waiting_input";
    return {
      status: waiting ? state.status : "running",
      running: true,
      stale: false,
      reason: state.reason ?? null,
    };
  }
  if (LIVE_STATUSES.includes(state.status)) {
    const run = state.last_run_id === null ? "" : ` during run ${state.last_run_id}`;
    return { status: "error", running: false, stale: true, reason: `runner is not alive (stopped${run})` };
  }
  return { status: state.status, running: false, stale: false, reason: state.reason ?? null };
}
