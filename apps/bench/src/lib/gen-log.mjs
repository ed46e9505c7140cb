import { closeSync, openSync, writeSync } from "node:fs";
import {
  formatEndMarker,
  formatIndexEntry,
  formatLogLine,
  formatStartMarker,
  formatTimestamp,
} from "@codex-autorunner/core";
import { LogWriter } from "@codex-autorunner/core/node";

/** Lines of the runs that lookups target, at every log size, so their output is the same size. */
export const TARGET_RUN_LINES = 30;
const CHUNK = 8 * 1024 * 1024;
const BASE = Date.parse("2026-01-01T00:00:00Z");

const streamOf = (i) => (i % 10 === 9 ? "stderr" : "stdout");

function agentText(run, i) {
  return `step ${i} of run ${run}: compiled src/feature_${i % 97}.ts, 12 tests passed in ${(i % 13) + 1}.${i % 10}s`;
}

/**
 * Write a synthetic `codex-autorunner.log` of about `bytes` bytes holding `runs` runs in the log
 * format (byte-identical for the original tool and ours), fast: core's formatters, 8 MB writes.
 * Every run has the same size except the middle and the last, which have TARGET_RUN_LINES lines.
 *
 * With `index`, the index beside the log is written too (the entries LogWriter writes: one at the
 * start of a run, one at its end) and the LAST run is appended through core's real LogWriter, which
 * checks and extends that index. Without it, the whole log is written here and no index exists (the
 * original's log as found). Returns { runs, middle, last, size }.
 */
export async function generateLog({ log, index = null, bytes, runs = 5000 }) {
  const middle = Math.floor(runs / 2);
  const last = runs;
  const sample =
    formatLogLine(formatTimestamp(new Date(BASE)), 1000, "stdout", agentText(1000, 50)).length + 1;
  const perRun = Math.max(1, Math.round((bytes / runs - 60) / sample));
  const bodies = Array.from({ length: perRun }, (_, i) => `${streamOf(i)}: ${agentText(0, i)}\n`);
  const check = formatLogLine(formatTimestamp(new Date(BASE)), 7, streamOf(0), agentText(0, 0));
  if (`[${formatTimestamp(new Date(BASE))}] run=7 ${bodies[0]}` !== `${check}\n`) {
    throw new Error(`gen-log: bulk line template no longer matches core's formatLogLine: ${check}`);
  }
  const fd = openSync(log, "w");
  const idx = index ? openSync(index, "w") : null;
  let offset = 0;
  let buf = [];
  let bufLen = 0;
  let idxBuf = [];
  const push = (s) => {
    buf.push(s);
    bufLen += s.length; // ASCII only: characters = bytes
  };
  const flush = () => {
    if (bufLen > 0) writeSync(fd, buf.join(""));
    buf = [];
    bufLen = 0;
    if (idx !== null && idxBuf.length > 0) writeSync(idx, idxBuf.join(""));
    idxBuf = [];
  };
  const lastViaWriter = index !== null;
  for (let run = 1; run <= (lastViaWriter ? last - 1 : last); run++) {
    const ts = formatTimestamp(new Date(BASE + run * 60_000));
    const start = offset + bufLen;
    idxBuf.push(formatIndexEntry({ run, start, end: null }));
    push(`${formatStartMarker(run)}\n`);
    if (run === middle || run === last) {
      for (let i = 0; i < TARGET_RUN_LINES; i++)
        push(`${formatLogLine(ts, run, streamOf(i), agentText(run, i))}\n`);
    } else {
      // Bulk runs: the same agent lines under each run's prefix (checked against formatLogLine above).
      const prefix = `[${ts}] run=${run} `;
      push(bodies.map((b) => prefix + b).join(""));
    }
    push(`${formatEndMarker(run, run % 50 === 0 ? 1 : 0)}\n`);
    idxBuf.push(formatIndexEntry({ run, start, end: offset + bufLen }));
    if (bufLen >= CHUNK) {
      offset += bufLen;
      flush();
    }
  }
  offset += bufLen;
  flush();
  closeSync(fd);
  if (idx !== null) closeSync(idx);
  if (lastViaWriter) {
    const writer = await LogWriter.open(log, index);
    await writer.startRun(last);
    for (let i = 0; i < TARGET_RUN_LINES; i++) await writer.line(last, streamOf(i), agentText(last, i));
    await writer.endRun(last, 0);
    await writer.close();
  }
  return { runs, middle, last };
}
