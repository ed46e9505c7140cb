import { parseLogLine } from "../../log/format.js";
import { interruptRunRecord } from "../../runs/record.js";
import { markInterrupted } from "../../state/transitions.js";
import type { EngineEvent, RunnerState } from "../../types.js";
import type { LogReader } from "../log/reader.js";
import type { LogWriter } from "../log/writer.js";
import type { CarPaths } from "../paths.js";
import { endRunProcesses } from "../proc/end.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";

/**
 * Called with the lock held, before the first run: a previous runner that died (kill -9, power loss)
 * may have left state "running", an open run block in the log, an unfinished runs/<id>.json and even
 * processes of its run still alive (its lifeline normally ends them within seconds; this is the
 * fallback). Close all of that as "interrupted" so the next run starts from a consistent picture.
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
  const { paths, writer, reader } = input;
  let state = input.state;
  const lastInLog = await reader.lastRunId();
  const openId = lastInLog !== null && (await isBlockOpen(reader, lastInLog)) ? lastInLog : null;
  const stateSaysRunning = state.status === "running";
  if (!stateSaysRunning && openId === null) return { state, interruptedRun: null };

  // An agent orphaned by the dead runner would keep editing the repo under the next run: end it and
  // everything its run started (found by the run's marker, its group and their descendants).
  const marker = state.agent_marker ?? null;
  const pgid = state.agent_pid ?? null;
  if (marker !== null || pgid !== null)
    await endRunProcesses({ marker, pgid }, { graceMs: input.graceMs ?? 2_000 });

  if (openId !== null) await writer.markInterrupted(openId);
  const runId = openId ?? state.last_run_id;
  if (runId !== null) {
    const rec = await readRunRecord(paths, runId).catch(() => null);
    if (rec && rec.finished_at === null) await writeRunRecord(paths, interruptRunRecord(rec));
  }
  if (stateSaysRunning || openId !== null) {
    state = markInterrupted(state, {
      reason: "interrupted",
    });
    if (openId !== null && (state.last_run_id ?? 0) < openId) state = { ...state, last_run_id: openId };
  }
  return { state, interruptedRun: openId };
}

/** True when the log's block for `runId` has a start marker but no end marker. */
async function isBlockOpen(reader: LogReader, runId: number): Promise<boolean> {
  // The end marker, when present, is the block's last line: look at the log's tail first.
  const tail = (await reader.tail(20)).split("\n").filter((l) => l !== "");
  let offset = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const e = parseLogLine(tail[i] as string, offset++);
    if (e.kind === "end" && e.runId === runId) return false;
    if ((e.kind === "start" || e.kind === "line") && e.runId === runId) return true;
  }
  const block = await reader.readRun(runId);
  if (block === null) return false;
  const lines = block.split("\n").filter((l) => l !== "");
  const last = lines.length > 0 ? parseLogLine(lines[lines.length - 1] as string, 0) : null;
  return !(last?.kind === "end" && last.runId === runId);
}
