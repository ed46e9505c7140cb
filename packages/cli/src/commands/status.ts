import type { CommandModule } from "yargs";
import { liteRepoRoot, loadLite } from "../fast-core.js";
import { formatStatus } from "../output/status-format.js";
import { stdoutColors } from "../output/tty.js";
import { type GlobalArgs, out } from "./common.js";

interface StatusArgs extends GlobalArgs {
  json?: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status",
  describe: "Show runner status, last run, runner PID (alive or not) and TODO counts",
  builder: (y) =>
    y
      .option("json", { type: "boolean", default: false, describe: "Print the status report as JSON" })
      .example("car status", "human-readable summary")
      .example("car status --json | jq .status", "for scripts") as never,
  handler: async (argv) => {
    // The lite entry: no zod at start-up (status is run often, from scripts and prompts).
    const root = await liteRepoRoot(argv);
    const core = await loadLite();
    const report = await core.getStatus(root);
    if (argv.json) out(JSON.stringify(report, null, 2));
    else for (const line of formatStatus(report, stdoutColors())) out(line);
  },
};
