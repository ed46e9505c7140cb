import yargs, { type Argv, type CommandModule } from "yargs";
import { invocation, outcome } from "./commands/common.js";
import { diffCommand } from "./commands/diff.js";
import { doctorCommand } from "./commands/doctor.js";
import { editCommand } from "./commands/edit.js";
import { hubCommand } from "./commands/hub/index.js";
import { initCommand } from "./commands/init.js";
import { killCommand } from "./commands/kill.js";
import { logCommand } from "./commands/log.js";
import { notifyCommand } from "./commands/notify.js";
import { onceCommand } from "./commands/once.js";
import { resumeCommand } from "./commands/resume.js";
import { rollbackCommand } from "./commands/rollback.js";
import { runCommand } from "./commands/run.js";
import { serveCommand } from "./commands/serve.js";
import { statusCommand } from "./commands/status.js";
import { steerCommand } from "./commands/steer.js";
import { stopCommand } from "./commands/stop.js";
import { verifyCommand } from "./commands/verify.js";
import { carErrorCode, EXIT, exitCodeForError, UsageError } from "./exit-codes.js";
import { printError } from "./output/errors.js";
import { VERSION } from "./version.js";

export { outputPolicy } from "./commands/common.js";
export { splitCommand } from "./editor.js";
export { EXIT, exitCodeForError, exitCodeForStop, UsageError } from "./exit-codes.js";

/**
 * The yargs program, without parsing. Commands load core lazily inside their handlers. Not exported:
 * yargs' types would become part of this package's public API (and @types/yargs a dependency).
 */
function buildCli(argv: string[]): Argv {
  // Errors before the handler runs (yargs validation, `.check()` callbacks) are usage errors (exit 2);
  // errors from the handler keep their own meaning.
  let inHandler = false;
  const cmd = <T>(module: CommandModule<object, T>): CommandModule<object, T> => ({
    ...module,
    handler: (args) => {
      inHandler = true;
      return module.handler(args);
    },
  });
  return (
    yargs(argv)
      .scriptName("car")
      .usage(
        "$0 <command> [options]\n\nRun the Codex CLI in a loop over .codex-autorunner/TODO.md in a git repo.",
      )
      .option("repo", {
        type: "string",
        global: true,
        describe: "Repository to work on (default: current dir; walks up to the git root)",
      })
      .command(cmd(initCommand))
      .command(cmd(runCommand))
      .command(cmd(onceCommand))
      .command(cmd(resumeCommand))
      .command(cmd(stopCommand))
      .command(cmd(steerCommand))
      .command(cmd(killCommand))
      .command(cmd(statusCommand))
      .command(cmd(logCommand))
      .command(cmd(verifyCommand))
      .command(cmd(diffCommand))
      .command(cmd(rollbackCommand))
      .command(cmd(editCommand))
      .command(cmd(doctorCommand))
      .command(cmd(notifyCommand))
      .command(cmd(serveCommand))
      .command(cmd(hubCommand(cmd)))
      .demandCommand(1, "Name a command")
      .strict()
      .version(VERSION)
      .help()
      .alias("h", "help")
      .example("car init && car edit todo && car run", "set up a repo, write the TODO, run the loop")
      .epilogue("Exit codes: 0 done, 1 error, 2 bad usage, 130 interrupted. Docs: packages/cli/README.md")
      // Fixed width: the same text whatever the terminal, so the help saved at build time (dist/help.txt) matches.
      .wrap(80)
      .exitProcess(false)
      .fail((msg, err) => {
        if (err && (inHandler || carErrorCode(err) !== null)) throw err;
        throw new UsageError(err?.message ?? msg ?? "invalid usage");
      })
  );
}

/** Parses `argv` (without node and script), runs the command, returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  outcome.code = EXIT.OK;
  invocation.argv = argv;
  if (argv.length === 0) {
    process.stderr.write(`${await buildCli(["--help"]).getHelp()}\n`);
    return EXIT.USAGE;
  }
  try {
    await buildCli(argv).parseAsync();
    return outcome.code;
  } catch (err) {
    printError(err);
    return exitCodeForError(err);
  }
}
