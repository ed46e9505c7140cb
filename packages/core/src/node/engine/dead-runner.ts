import { parseLogLine } from "../../log/format.js";
import { finishRunRecord, interruptRunRecord } from "../../runs/record.js";
import {
  isLiveStatus,
  markInterrupted,
  markKilled,
  markRunnerExited,
  signalExitCode,
} from "../../state/transitions.js";
import type { RunnerState } from "../../types.js";
import type { LogReader } from "../log/reader.js";
import { LogWriter } from "../log/writer.js";
import type { CarPaths } from "../paths.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";

/**
 * Closing what a dead runner left open, one way for both who do it: `car kill` when the runner it
 * signalled died without cleaning up (SIGKILLed: outcome `killed` with the signal) and a new runner's
 * recovery (`interrupted`). The run's block gets its end marker, its record is finished, and state.json
 * makes the transition (returned: the caller writes it, through its own guards).
 */

export interface CloseDeadRunInput {
  paths: CarPaths;
  state: RunnerState;
  /** The run whose block the log leaves open (openRunInLog), or null. */
  openRun: number | null;
  /** The signal `car kill` ended the runner with; null: the runner was found dead (interrupted). */
  signal: "SIGTERM" | "SIGKILL" | null;
  /** The caller's writer; without one, a writer is opened for the end marker and closed again. */
  writer?: LogWriter;
}

export interface CloseDeadRunResult {
  state: RunnerState;
  /** The run whose block got an end marker, if any. */
  closedRun: number | null;
}

export async function closeDeadRun(input: CloseDeadRunInput): Promise<CloseDeadRunResult> {
  const { paths, state, openRun, signal } = input;
  const running = isLiveStatus(state.status);
  // The run state.json names as running is the one the signal ended; any other open block is interrupted.
  const killedRun = signal !== null && running ? state.last_run_id : null;
  const killCode = signal !== null ? signalExitCode(signal) : null;

  if (openRun !== null) await endBlock(paths, input.writer, openRun, openRun === killedRun ? killCode : null);
  // The open block's run and the run state.json says was running (the same run, unless the runner died
  // between the two writes that start a run).
  const runs = new Set([openRun, running ? state.last_run_id : null]);
  for (const runId of runs) {
    if (runId === null) continue;
    const rec = await readRunRecord(paths, runId).catch(() => null);
    if (rec && rec.finished_at === null) {
      const closed =
        signal !== null && runId === killedRun
          ? finishRunRecord(rec, {
              exitCode: killCode,
              signal,
              outcome: "killed",
              todoAfter: null,
              error: `killed by ${signal}`,
            })
          : interruptRunRecord(rec);
      await writeRunRecord(paths, closed);
    }
  }

  let next = state;
  if (signal !== null && (running || state.runner_pid !== null)) {
    next = markKilled(state, { signal, exitCode: running ? killCode : state.last_exit_code });
  } else if (running || openRun !== null) {
    next = markInterrupted(state, { reason: "interrupted" });
    if (openRun !== null && (next.last_run_id ?? 0) < openRun) next = { ...next, last_run_id: openRun };
  } else if (state.runner_pid !== null) {
    next = markRunnerExited(state); // it died between runs: only its PID goes
  }
  return { state: next, closedRun: openRun };
}

/** The last run in the log when its block has a start marker but no end marker, else null. */
export async function openRunInLog(reader: LogReader): Promise<number | null> {
  const runId = await reader.lastRunId();
  if (runId === null) return null;
  // The end marker, when present, is the block's last line: look at the log's tail first.
  const tail = (await reader.tail(20)).split("\n").filter((l) => l !== "");
  let offset = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const e = parseLogLine(tail[i] as string, offset++);
    if (e.kind === "end" && e.runId === runId) return null;
    if ((e.kind === "start" || e.kind === "line") && e.runId === runId) return runId;
  }
  const block = await reader.readRun(runId);
  if (block === null) return null;
  const lines = block.split("\n").filter((l) => l !== "");
  const last = lines.length > 0 ? parseLogLine(lines[lines.length - 1] as string, 0) : null;
  return last?.kind === "end" && last.runId === runId ? null : runId;
}

/** `=== run N end (code C) ===`, or `(interrupted)` for a null code. */
async function endBlock(
  paths: CarPaths,
  writer: LogWriter | undefined,
  runId: number,
  code: number | null,
): Promise<void> {
  if (writer) {
    await writer.endRun(runId, code);
    return;
  }
  const own = await LogWriter.open(paths.log, paths.logIndex);
  try {
    await own.endRun(runId, code);
  } finally {
    await own.close();
  }
}
