import { join } from "node:path";
import { CLI_BIN } from "../lib/paths.mjs";
import { runOk } from "../lib/proc.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { row } from "../lib/results.mjs";

/** CLI start: `car status` (initialised repo) and `car --help` vs bare `node -e 0`. Goal ≤ 1.5×. */
export default {
  name: "cli-start",
  async run(ctx) {
    const repo = await makeRepo(join(ctx.tmp, "cli-start"));
    const cmds = [
      { name: "node -e 0", args: ["-e", "0"] },
      { name: "car status", args: [CLI_BIN, "status"], expect: "status:" },
      { name: "car --help", args: [CLI_BIN, "--help"], expect: "once" },
    ];
    const samples = cmds.map(() => []);
    // Interleaved so a load spike on the shared machine hits every command alike.
    for (let i = 0; i < ctx.reps(15); i++) {
      for (const [k, c] of cmds.entries()) {
        const r = await runOk(process.execPath, c.args, { cwd: repo.root });
        if (c.expect && !r.stdout.includes(c.expect))
          throw new Error(`${c.name} printed no "${c.expect}": ${r.stdout.slice(0, 300)}`);
        samples[k].push(r.ms);
      }
    }
    const base = row({ caseName: "cli-start", name: cmds[0].name, unit: "ms", samples: samples[0] });
    const goal = { on: "ratio", max: 1.5, text: "≤ 1.5×" };
    return [
      base,
      ...cmds.slice(1).map((c, k) =>
        row({
          caseName: "cli-start",
          name: c.name,
          unit: "ms",
          samples: samples[k + 1],
          baseline: base,
          goal,
        }),
      ),
    ];
  },
};
