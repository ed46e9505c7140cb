import { join } from "node:path";
import { runChild, startChild } from "../lib/child.mjs";
import { cpuMs } from "../lib/proc.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { row } from "../lib/results.mjs";
import { subscribe } from "../lib/sse-client.mjs";
import { median, quantile } from "../lib/stats.mjs";

const SUBSCRIBERS = Number(process.env.BENCH_SSE_SUBSCRIBERS ?? 100); // env: diagnostics only
const RATE = 10_000;

/**
 * SSE: 100 real subscribers on GET /api/logs/stream (server in its own process) while an appender
 * process writes 10,000 lines/s into the log. Per subscriber: p50/p99 of append → receive latency
 * (from the time embedded in each line) and lines lost. Rows give, per repetition, the median of the
 * subscribers' p50, the median and the worst of their p99, and the total lost. Goal p99 ≤ 25 ms
 * (checked on the worst subscriber), 0 lost.
 * Two appenders: `raw` (append = the write(2) of the line) and `writer` (core's LogWriter, as the
 * runner writes: its up-to-50 ms batching is then part of the latency).
 */
export default {
  name: "sse",
  async run(ctx) {
    const seconds = ctx.quick ? 2 : 4;
    const repo = await makeRepo(join(ctx.tmp, "sse"));
    const server = await startChild("server", [repo.root]);
    const url = `${server.info.url}/api/logs/stream`;
    const rows = [];
    let runId = 1;
    try {
      for (const mode of ["raw", "writer"]) {
        const acc = { p50: [], p99med: [], p99max: [], lost: [], dup: [], reconnects: [], rate: [] };
        for (let rep = 0; rep < ctx.reps(3); rep++) {
          const expected = RATE * seconds;
          const cpu0 = { server: cpuMs(server.child.pid), bench: process.cpuUsage() };
          const t0 = performance.now();
          const subs = Array.from({ length: SUBSCRIBERS }, () => subscribe(url, expected));
          await Promise.all(subs.map((s) => s.ready));
          const appendStart = performance.now();
          await runChild(
            "appender",
            [repo.log, repo.index, mode, String(RATE), String(seconds), String(runId++)],
            {
              timeoutMs: seconds * 1000 + 60_000,
            },
          );
          // Wait for late lines while they keep coming: stop when all arrived, after 10 s without any
          // progress, or 60 s after the appender finished (so "lost" = never delivered, not just late).
          const deadline = performance.now() + 60_000;
          let seen = -1;
          let idleSince = performance.now();
          let delivered = 0;
          for (;;) {
            const got = subs.reduce((n, s) => n + s.stats.received, 0);
            if (got !== seen) {
              seen = got;
              idleSince = performance.now();
            }
            if (
              got === expected * subs.length ||
              performance.now() > deadline ||
              performance.now() - idleSince > 10_000
            ) {
              delivered = got / ((idleSince - appendStart) / 1000);
              break;
            }
            await new Promise((r) => setTimeout(r, 50));
          }
          acc.rate.push(delivered);
          for (const s of subs) s.close();
          const wall = performance.now() - t0;
          const benchCpu = process.cpuUsage(cpu0.bench);
          const cpu = `server ${(((cpuMs(server.child.pid) - cpu0.server) / wall) * 100).toFixed(0)}%, subscribers ${(((benchCpu.user + benchCpu.system) / 1000 / wall) * 100).toFixed(0)}% of a core over ${(wall / 1000).toFixed(1)} s`;
          const p50s = [];
          const p99s = [];
          let lost = 0;
          let dup = 0;
          let reconnects = 0;
          let gaps = 0;
          let tail = 0;
          for (const s of subs) {
            reconnects += s.stats.reconnects;
            const got = [...s.stats.latency].filter((v) => v >= 0);
            lost += expected - got.length;
            // Where the lost lines are: gaps before the last line received, or the tail never delivered.
            const lastSeq = s.stats.latency.findLastIndex((v) => v >= 0);
            gaps += lastSeq + 1 - got.length;
            tail += expected - (lastSeq + 1);
            dup += s.stats.duplicates;
            p50s.push(quantile(got, 0.5));
            p99s.push(quantile(got, 0.99));
          }
          acc.p50.push(median(p50s));
          acc.p99med.push(median(p99s));
          acc.p99max.push(Math.max(...p99s.filter(Number.isFinite)));
          acc.lost.push(lost);
          acc.dup.push(dup);
          acc.reconnects.push(reconnects);
          ctx.progress(
            `  ${mode} rep ${rep + 1}: p50 ${acc.p50.at(-1).toFixed(1)} ms, p99 median ${acc.p99med.at(-1).toFixed(1)} / worst ${acc.p99max.at(-1).toFixed(1)} ms, lost ${lost} (${gaps} in gaps, ${tail} at the end), duplicates ${dup}, reconnects ${reconnects}; cpu ${cpu}`,
          );
        }
        const what = `${SUBSCRIBERS} subs, ${RATE / 1000}k lines/s, ${seconds} s, ${mode}`;
        rows.push(
          row({
            caseName: "sse",
            name: `lines delivered per second (all subs), ${what}`,
            unit: "lines/s",
            samples: acc.rate,
            note: `keeping up needs ${SUBSCRIBERS * RATE} lines/s`,
          }),
          row({ caseName: "sse", name: `latency p50 (median sub), ${what}`, unit: "ms", samples: acc.p50 }),
          row({
            caseName: "sse",
            name: `latency p99 (median sub), ${what}`,
            unit: "ms",
            samples: acc.p99med,
          }),
          row({
            caseName: "sse",
            name: `latency p99 (worst sub), ${what}`,
            unit: "ms",
            samples: acc.p99max,
            goal: { on: "value", max: 25, text: "≤ 25 ms" },
          }),
          row({
            caseName: "sse",
            name: `lines lost (all subs), ${what}`,
            unit: "lines",
            samples: acc.lost,
            goal: { on: "value", max: 0, text: "0 in every run", stat: "max" },
            note: `per run: duplicates ${acc.dup.join("/")}, reconnects (server dropped a slow client) ${acc.reconnects.join("/")}`,
          }),
        );
      }
    } finally {
      await server.stop();
    }
    return rows;
  },
};
