// Child process: appends agent lines to a log at a fixed rate for the SSE case. Each line carries its
// sequence number and the wall-clock time (ms, sub-ms precision) it was handed over:
//   seq=<n> t=<epoch ms>
// argv: <log> <index> <mode raw|writer> <lines per second> <seconds> <run id>
//   raw     one append (write(2), O_APPEND) of every due line per ~1 ms tick: t = time of that write
//   writer  core's LogWriter.line() per line (what the runner does: writes at once when idle, coalesces lines while a write is in flight):
//           t = time the line reached the writer, so the writer's batching is part of the latency
// Prints {"lines": n, "ms": elapsed} when done.
import { closeSync, openSync, writeSync } from "node:fs";
import { formatEndMarker, formatLogLine, formatStartMarker, formatTimestamp } from "@codex-autorunner/core";
import { LogWriter } from "@codex-autorunner/core/node";

const [log, index, mode, rateArg, secondsArg, runArg] = process.argv.slice(2);
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const run = Number(runArg);
const now = () => performance.timeOrigin + performance.now();
const tick = () => new Promise((r) => setTimeout(r, 1));

const t0 = performance.now();
let seq = 0;
if (mode === "raw") {
  const fd = openSync(log, "a");
  writeSync(fd, `${formatStartMarker(run)}\n`);
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > seq) {
      const ts = formatTimestamp();
      const t = now().toFixed(3);
      let chunk = "";
      for (; seq < due; seq++) chunk += `${formatLogLine(ts, run, "stdout", `seq=${seq} t=${t}`)}\n`;
      writeSync(fd, chunk);
    }
    await tick();
  }
  writeSync(fd, `${formatEndMarker(run, 0)}\n`);
  closeSync(fd);
} else {
  const writer = await LogWriter.open(log, index);
  await writer.startRun(run);
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; seq < due; seq++) await writer.line(run, "stdout", `seq=${seq} t=${now().toFixed(3)}`);
    await tick();
  }
  await writer.endRun(run, 0);
  await writer.close();
}
process.stdout.write(`${JSON.stringify({ lines: total, ms: performance.now() - t0 })}\n`);
