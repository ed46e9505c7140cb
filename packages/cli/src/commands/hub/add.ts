import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import { loadCore, out } from "../common.js";
import { type HubArgs, hubRoot, withHub, withRoot } from "./common.js";

interface HubAddArgs extends HubArgs {
  path: string;
  init?: boolean;
}

/** `car hub add PATH`: registers a git repo in hub.yml's `repos:` (relative PATH: from the current folder). */
export const hubAddCommand: CommandModule<object, HubAddArgs> = {
  command: "add <path>",
  describe: "Register a git repo in hub.yml (inside the root unless allow_outside_root: true)",
  builder: (y) =>
    withRoot(y)
      .positional("path", { type: "string", demandOption: true, describe: "The repo's folder" })
      .option("init", {
        type: "boolean",
        default: false,
        describe: "Run `car init` there first (when it has no .codex-autorunner/config.yml)",
      })
      .example("car hub add services/api --init", "register and set up a repo under the root") as never,
  handler: async (argv) => {
    const root = await hubRoot(argv);
    const path = resolve(process.cwd(), argv.path);
    const repo = await withHub(root, (hub) => hub.add(path, { init: argv.init ?? false }));
    const { makeTerminalSafe: safe } = await loadCore();
    out(
      `car: added ${safe(repo.id)} (${safe(repo.path)}) to ${safe(resolve(root, "hub.yml"))}; status ${repo.status}`,
    );
  },
};
