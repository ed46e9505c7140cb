import type { CommandModule } from "yargs";
import { hubAddCommand } from "./add.js";
import { hubListCommand } from "./list.js";
import { hubRemoveCommand } from "./remove.js";
import { hubServeCommand } from "./serve.js";

type Wrap = <T>(module: CommandModule<object, T>) => CommandModule<object, T>;

/**
 * `car hub serve|list|add|remove`: many repos, one place. `wrap` is the program's handler wrapper
 * (index.ts's `cmd`), so errors inside a sub-command are not taken for usage errors.
 */
export function hubCommand(wrap: Wrap): CommandModule<object, object> {
  return {
    command: "hub <command>",
    describe: "Many repos, one server: serve, list, add and remove the repos under a root (hub.yml)",
    builder: (y) =>
      y
        .command(wrap(hubServeCommand))
        .command(wrap(hubListCommand))
        .command(wrap(hubAddCommand))
        .command(wrap(hubRemoveCommand))
        .demandCommand(1, "Name a hub command: serve, list, add or remove") as never,
    handler: () => {},
  };
}
