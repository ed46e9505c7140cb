import { spawn } from "node:child_process";
import type { CommandModule } from "yargs";
import { editorCommand } from "../editor.js";
import { EXIT } from "../exit-codes.js";
import { err, type GlobalArgs, loadCore, repoRoot, setExitCode } from "./common.js";

interface EditArgs extends GlobalArgs {
  kind: string;
}

export const editCommand: CommandModule<object, EditArgs> = {
  command: "edit <kind>",
  describe: "Open a doc (todo, progress, opinions or an extra's name) in $VISUAL / $EDITOR / vi",
  builder: (y) =>
    y
      .positional("kind", {
        type: "string",
        demandOption: true,
        describe: "todo | progress | opinions | EXTRA_NAME",
      })
      .example("car edit todo", "edit the checklist")
      .example('EDITOR="code --wait" car edit opinions', "use VS Code") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const { config } = await core.loadConfig(root);
    const fixed = ["todo", "progress", "opinions"];
    const kind = fixed.includes(argv.kind.toLowerCase()) ? argv.kind.toLowerCase() : argv.kind;
    const path = core.docPath(root, config, kind);
    let words: string[];
    let from: string;
    try {
      ({ words, from } = editorCommand());
    } catch (e) {
      throw new core.CarError("INVALID_ARGUMENT", (e as Error).message);
    }
    if (words.length === 0) words = ["vi"];
    const [cmd, ...args] = words as [string, ...string[]];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd, [...args, path], { stdio: "inherit", cwd: root });
      child.on("error", (e: NodeJS.ErrnoException) => {
        reject(
          new core.CarError(
            "IO_ERROR",
            `cannot start editor ${JSON.stringify(cmd)} (from ${from}): ${e.code ?? e.message}`,
            {
              file: path,
              hint: "set $VISUAL or $EDITOR",
            },
          ),
        );
      });
      child.on("close", (c, sig) => resolve(c ?? (sig ? 128 : 1)));
    });
    if (code !== 0) {
      err(`car: the editor exited with code ${code}`);
      setExitCode(EXIT.ERROR);
    }
  },
};
