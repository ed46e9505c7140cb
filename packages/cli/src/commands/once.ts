import type { CommandModule } from "yargs";
import { executeLoop, type LoopArgs } from "./loop-exec.js";

export const onceCommand: CommandModule<object, LoopArgs> = {
  command: "once",
  describe: "Do exactly one run, then stop",
  builder: (y) =>
    y
      .option("force", {
        type: "boolean",
        default: false,
        describe: "Take over the lock even if a live runner holds it",
      })
      .option("quiet", { type: "boolean", default: false, describe: "No live status line; plain lines only" })
      .example("car once", "one run of the agent over the TODO") as never,
  handler: (argv) => executeLoop(argv, { once: true }),
};
