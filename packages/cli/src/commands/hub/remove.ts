import type { CommandModule } from "yargs";
import { loadCore, out } from "../common.js";
import { type HubArgs, hubRoot, withHub, withRoot } from "./common.js";

interface HubRemoveArgs extends HubArgs {
  id: string;
}

/** `car hub remove ID`: forgets a repo (hub.yml only; its files are never touched). */
export const hubRemoveCommand: CommandModule<object, HubRemoveArgs> = {
  command: "remove <id>",
  describe: "Forget a repo (hub.yml only; never deletes files; a discovered one goes into exclude:)",
  builder: (y) =>
    withRoot(y)
      .positional("id", { type: "string", demandOption: true, describe: "The repo's id (car hub list)" })
      .example("car hub remove services~api", "stop listing it") as never,
  handler: async (argv) => {
    const root = await hubRoot(argv);
    const { ref, excluded } = await withHub(root, (hub) => hub.remove(argv.id));
    const { makeTerminalSafe: safe } = await loadCore();
    out(
      excluded
        ? `car: removed ${safe(ref.id)} (${safe(ref.path)}): added to hub.yml's exclude: (it was discovered); no files deleted`
        : `car: removed ${safe(ref.id)} (${safe(ref.path)}) from hub.yml's repos:; no files deleted`,
    );
  },
};
