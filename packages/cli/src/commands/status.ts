import type { CommandModule } from "yargs";
import { EXIT } from "../exit-codes.js";
import { liteRepoRoot, loadLite } from "../fast-core.js";
import { formatStatus } from "../output/status-format.js";
import { stderrColors, stdoutColors } from "../output/tty.js";
import { err, type GlobalArgs, out, setExitCode } from "./common.js";

interface StatusArgs extends GlobalArgs {
  json?: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status",
  describe: "Show runner status, last run, runner PID (alive or not) and TODO counts",
  builder: (y) =>
    y
      .option("json", {
        type: "boolean",
        default: false,
        describe: "Print the status report as JSON (the GET /api/state body)",
      })
      .example("car status", "human-readable summary")
      .example("car status --json | jq .status", "for scripts") as never,
  handler: async (argv) => {
    // The lite entry: no zod at start-up (status is run often, from scripts and prompts).
    const root = await liteRepoRoot(argv);
    const core = await loadLite();
    // A broken config.yml does not hide the report (state, lock and runs are at fixed paths, and an
    // incident is exactly when status is needed): it is shown, then the config error, and exit 1 as for
    // any bad config.
    const report = await core.getStatus(root, { tolerateConfigError: true });
    if (argv.json) out(JSON.stringify(report, null, 2));
    else for (const line of formatStatus(report, stdoutColors(), core.makeTerminalSafe)) out(line);
    if (report.config_error) {
      err(`${stderrColors().red("car:")} ${report.config_error}`);
      setExitCode(EXIT.ERROR);
    }
  },
};
