import type { CommandModule } from "yargs";
import { executeLoop, type LoopArgs, loopOptions } from "./loop-exec.js";

export const runCommand: CommandModule<object, LoopArgs> = {
  command: "run",
  describe: "Run the agent in a loop until the TODO is done (or a limit / stop request)",
  builder: (y) =>
    loopOptions(y)
      .option("max-runs", {
        type: "number",
        describe: "Stop after this many runs (overrides runner.stop_after_runs)",
      })
      .check((a) => {
        const n = a["max-runs"];
        if (n !== undefined && (!Number.isInteger(n) || n < 1))
          throw new Error("--max-runs must be an integer ≥ 1");
        return true;
      })
      .example("car run", "work through .codex-autorunner/TODO.md run after run")
      .example("car run --quiet > car.out", "plain output, e.g. for CI logs")
      .example("car run --max-runs 2", "at most two runs") as never,
  handler: (argv) => executeLoop(argv, { once: false }),
};
