import { join } from "node:path";
import { awkPipe, baselineAwk, carOnce, floodRepo, SEQ_AGENT, seqRepo } from "../lib/car-once.mjs";
import { row } from "../lib/results.mjs";

const LINES = 1_000_000; // 59 chars + "\n": 60 MB

/**
 * Agent output throughput: `car once` with a stand-in agent printing 1,000,000 lines vs the same
 * agent piped into a timestamp-prefixing awk writing a file (goal ≤ 3×), and the car process's peak
 * RSS during those runs (goal ≤ 120 MB). Then the fastest possible agent, `seq 1 1000000` (6.9 MB of
 * 1–7 digit lines: per-line costs dominate), against `seq 1 1000000 | mawk …` (issue 11; awk when
 * mawk is missing, said in the row's note). Runs alternate so load changes hit both alike.
 */
export default {
  name: "throughput",
  async run(ctx) {
    const repo = await floodRepo(join(ctx.tmp, "throughput"));
    const reps = ctx.reps(5);
    const awk = [];
    const car = [];
    const rss = [];
    for (let i = 0; i < reps; i++) {
      awk.push(await awkPipe(ctx.tmp, LINES, 300_000));
      const r = await carOnce(repo, LINES, 300_000);
      car.push(r.ms);
      rss.push(r.hwmMB);
      ctx.progress(
        `  rep ${i + 1}/${reps}: awk ${awk.at(-1).toFixed(0)} ms, car once ${r.ms.toFixed(0)} ms, peak RSS ${r.hwmMB.toFixed(1)} MB`,
      );
    }
    const base = row({
      caseName: "throughput",
      name: "agent piped into awk > file, 1M lines",
      unit: "ms",
      samples: awk,
    });

    const seq = await seqRepo(join(ctx.tmp, "throughput-seq"), LINES);
    const { bin: mawk, note } = baselineAwk();
    if (note) ctx.progress(`  ${note}`);
    const seqAwk = [];
    const seqCar = [];
    const seqRss = [];
    for (let i = 0; i < reps; i++) {
      seqAwk.push(await awkPipe(ctx.tmp, LINES, 300_000, { agent: SEQ_AGENT(LINES), awk: mawk }));
      const r = await carOnce(seq, LINES, 300_000);
      seqCar.push(r.ms);
      seqRss.push(r.hwmMB);
      ctx.progress(
        `  seq rep ${i + 1}/${reps}: ${mawk.split("/").at(-1)} ${seqAwk.at(-1).toFixed(0)} ms, car once ${r.ms.toFixed(0)} ms, peak RSS ${r.hwmMB.toFixed(1)} MB`,
      );
    }
    const seqBase = row({
      caseName: "throughput",
      name: `seq 1 1000000 piped into ${mawk.split("/").at(-1)} > file`,
      unit: "ms",
      samples: seqAwk,
      note,
    });
    return [
      base,
      row({
        caseName: "throughput",
        name: "car once, 1M lines (60 MB)",
        unit: "ms",
        samples: car,
        baseline: base,
        goal: { on: "ratio", max: 3, text: "≤ 3×" },
      }),
      row({
        caseName: "memory",
        name: "car once peak RSS (VmHWM), 1M lines",
        unit: "MB",
        samples: rss,
        goal: { on: "value", max: 120, text: "≤ 120 MB" },
      }),
      seqBase,
      row({
        caseName: "throughput",
        name: "car once, agent `seq 1 1000000` (6.9 MB)",
        unit: "ms",
        samples: seqCar,
        baseline: seqBase,
        goal: { on: "ratio", max: 3, text: "≤ 3×" },
      }),
      row({
        caseName: "memory",
        name: "car once peak RSS (VmHWM), agent `seq 1 1000000`",
        unit: "MB",
        samples: seqRss,
        goal: { on: "value", max: 120, text: "≤ 120 MB" },
      }),
    ];
  },
};
