import type { CommandModule } from "yargs";
import { type GlobalArgs, loadCore, out, repoRoot } from "./common.js";

interface KillArgs extends GlobalArgs {
  grace?: number;
}

export const killCommand: CommandModule<object, KillArgs> = {
  command: "kill",
  describe: "End the runner and the agent's whole process group now (status becomes error)",
  builder: (y) =>
    y
      .option("grace", {
        type: "number",
        describe: "Seconds between SIGTERM and SIGKILL (default: runner.kill_grace_seconds)",
      })
      .check((a) => {
        if (a.grace !== undefined && !(Number.isFinite(a.grace) && a.grace >= 0)) {
          throw new Error("--grace must be a number of seconds ≥ 0");
        }
        return true;
      })
      .example("car kill", "stop everything now")
      .example("car kill --grace 0", "SIGKILL at once") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const r = await core.killRunner(root, argv.grace !== undefined ? { graceMs: argv.grace * 1000 } : {});
    const parts: string[] = [];
    if (r.pid !== null) parts.push(`runner pid ${r.pid}`);
    if (r.agentPid !== null)
      parts.push(`${r.pid === null ? "orphaned " : ""}agent process group ${r.agentPid}`);
    out(`car: ended ${parts.join(" and ") || "nothing (state cleaned up)"} (${r.signal})`);
  },
};
