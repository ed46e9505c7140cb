import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import { type GlobalArgs, loadCore, out, startDir } from "./common.js";

interface InitArgs extends GlobalArgs {
  path?: string;
  force?: boolean;
  "git-init"?: boolean;
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: "init [path]",
  describe: "Create .codex-autorunner/ (config, state, log, TODO/PROGRESS/OPINIONS, .gitignore)",
  builder: (y) =>
    y
      .positional("path", {
        type: "string",
        describe: "Repository to set up (default: --repo or the current dir)",
      })
      .option("force", { type: "boolean", default: false, describe: "Overwrite existing files" })
      .option("git-init", {
        type: "boolean",
        default: false,
        describe: "Run `git init` when PATH is not a git repo",
      })
      .example("car init", "set up the current repository")
      .example("car init ../other --git-init", "set up (and git init) another folder") as never,
  handler: async (argv) => {
    const core = await loadCore();
    const target = argv.path !== undefined ? resolve(process.cwd(), argv.path) : startDir(argv);
    const r = await core.initRepo(target, { force: argv.force ?? false, gitInit: argv["git-init"] ?? false });
    for (const f of r.created) out(`created  ${f}`);
    for (const f of r.skipped) out(`kept     ${f}`);
    out(`car: initialised ${r.root}`);
    out(
      "next: list tasks in .codex-autorunner/TODO.md (`car edit todo`), check with `car doctor`, then `car run`",
    );
  },
};
