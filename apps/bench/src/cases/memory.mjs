import { join } from "node:path";
import { carOnce, floodRepo } from "../lib/car-once.mjs";
import { row } from "../lib/results.mjs";

/**
 * Peak RSS of the runner (`car once`) at 10× the throughput case's output: 10,000,000 lines = 600 MB
 * (--quick: 2,000,000 lines). Goal ≤ 120 MB, i.e. memory must not grow with the output.
 */
export default {
  name: "memory",
  async run(ctx) {
    const lines = ctx.quick ? 2_000_000 : 10_000_000;
    const repo = await floodRepo(join(ctx.tmp, "memory"));
    const rss = [];
    const ms = [];
    for (let i = 0; i < ctx.reps(1); i++) {
      const r = await carOnce(repo, lines, 900_000);
      rss.push(r.hwmMB);
      ms.push(r.ms);
      ctx.progress(`  ${lines} lines: ${r.ms.toFixed(0)} ms, peak RSS ${r.hwmMB.toFixed(1)} MB`);
    }
    const label = `${lines / 1_000_000}M lines`;
    return [
      row({
        caseName: "memory",
        name: `car once peak RSS (VmHWM), ${label}`,
        unit: "MB",
        samples: rss,
        goal: { on: "value", max: 120, text: "≤ 120 MB" },
      }),
      row({ caseName: "memory", name: `car once wall time, ${label}`, unit: "ms", samples: ms }),
    ];
  },
};
