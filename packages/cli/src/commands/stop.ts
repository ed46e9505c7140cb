import type { CommandModule } from "yargs";
import { type GlobalArgs, loadCore, out, repoRoot } from "./common.js";

export const stopCommand: CommandModule<object, GlobalArgs> = {
  command: "stop",
  describe: "Ask the running loop to finish after its current run",
  builder: (y) => y.example("car stop", "let the current run end, then stop") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const r = await core.requestStop(root);
    out(`car: asked runner pid ${r.pid} to stop after its current run`);
  },
};
