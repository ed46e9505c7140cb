import type { CommandModule } from "yargs";
import { executeLoop, type LoopArgs, loopOptions } from "./loop-exec.js";

export const onceCommand: CommandModule<object, LoopArgs> = {
  command: "once",
  describe: "Do exactly one run, then stop",
  builder: (y) => loopOptions(y).example("car once", "one run of the agent over the TODO") as never,
  handler: (argv) => executeLoop(argv, { once: true }),
};
