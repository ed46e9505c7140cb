import type { CommandModule } from "yargs";
import { type GlobalArgs, loadCore, out, repoRoot } from "./common.js";

export const stopCommand: CommandModule<object, GlobalArgs> = {
  command: "stop",
  describe: "Ask the running loop to finish after its current run (or cancel a hub's queued start)",
  builder: (y) => y.example("car stop", "let the current run end, then stop") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const r = await core.requestStop(root);
    if (r.pid !== null) out(`car: asked runner pid ${r.pid} to stop after its current run`);
    if (r.queueCancelled) out("car: cancelled the start a hub had queued");
  },
};
