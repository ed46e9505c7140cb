import { isLiveStatus } from "../../state/transitions.js";
import type { EngineEvent, RunnerState } from "../../types.js";
import type { LogReader } from "../log/reader.js";
import type { LogWriter } from "../log/writer.js";
import type { CarPaths } from "../paths.js";
import { endRunProcesses } from "../proc/end.js";
import { closeDeadRun, openRunInLog } from "./dead-runner.js";

/**
 * Called with the lock held, before the first run: a previous runner that died (kill -9, power loss)
 * may have left state "running", an open run block in the log, an unfinished runs/<id>.json and even
 * processes of its run still alive (its lifeline normally ends them within seconds; this is the
 * fallback). End those, then close the rest as "interrupted" (dead-runner.ts, shared with `car kill`)
 * so the next run starts from a consistent picture.
 * Returns the state to continue from.
 */
export interface RecoverInput {
  paths: CarPaths;
  writer: LogWriter;
  reader: LogReader;
  state: RunnerState;
  emit?: (event: EngineEvent) => void;
  /** Grace between SIGTERM and SIGKILL for the orphaned run's processes. */
  graceMs?: number;
}

export interface RecoverResult {
  state: RunnerState;
  /** Run id closed as interrupted, if any. */
  interruptedRun: number | null;
}

export async function recoverCrashedRun(input: RecoverInput): Promise<RunnerState> {
  return (await recover(input)).state;
}

export async function recover(input: RecoverInput): Promise<RecoverResult> {
  const { paths, writer, reader, state } = input;
  const openRun = await openRunInLog(reader);
  if (!isLiveStatus(state.status) && openRun === null) return { state, interruptedRun: null };

  // An agent orphaned by the dead runner would keep editing the repo under the next run: end it and
  // everything its run started (found by the run's marker, its group and their descendants).
  const marker = state.agent_marker ?? null;
  const pgid = state.agent_pid ?? null;
  if (marker !== null || pgid !== null)
    await endRunProcesses({ marker, pgid }, { graceMs: input.graceMs ?? 2_000 });

  const closed = await closeDeadRun({ paths, state, openRun, signal: null, writer });
  return { state: closed.state, interruptedRun: closed.closedRun };
}
