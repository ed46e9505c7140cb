import { resolve } from "node:path";
import { AGENT_NAMES, type AgentName } from "@codex-autorunner/core/node/lite";
import type { CommandModule } from "yargs";
import { type GlobalArgs, loadCore, out, startDir } from "./common.js";

interface InitArgs extends GlobalArgs {
  path?: string;
  force?: boolean;
  "git-init"?: boolean;
  agent?: AgentName;
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
      .option("agent", {
        choices: AGENT_NAMES,
        describe: "The agent the config runs (runner.agent; default codex)",
      })
      .example("car init", "set up the current repository")
      .example("car init --agent claude", "set up a repository run by Claude Code")
      .example("car init ../other --git-init", "set up (and git init) another folder") as never,
  handler: async (argv) => {
    const core = await loadCore();
    const target = argv.path !== undefined ? resolve(process.cwd(), argv.path) : startDir(argv);
    const r = await core.initRepo(target, {
      force: argv.force ?? false,
      gitInit: argv["git-init"] ?? false,
      ...(argv.agent !== undefined ? { agent: argv.agent } : {}),
    });
    for (const f of r.created) out(`created  ${f}`);
    for (const f of r.skipped) out(`kept     ${f}`);
    out(`car: initialised ${r.root}`);
    out(
      "next: list tasks in .codex-autorunner/TODO.md (`car edit todo`), check with `car doctor`, then `car run`",
    );
  },
};
