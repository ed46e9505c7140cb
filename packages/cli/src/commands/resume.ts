import type { CommandModule } from "yargs";
import { loadCore } from "./common.js";
import { executeLoop, type LoopArgs, loopOptions } from "./loop-exec.js";

interface ResumeArgs extends LoopArgs {
  once?: boolean;
}

/** Says what is being resumed; the engine itself replaces a stale lock and recovers an unfinished run. */
async function announce(root: string): Promise<void> {
  const core = await loadCore();
  const s = await core.getStatus(root);
  const info = s.lock?.info;
  if (info && !s.lock.alive) {
    process.stderr.write(`car: previous runner (pid ${info.pid}) is gone; clearing its stale lock\n`);
  }
  const next = (s.last_run_id ?? 0) + 1;
  process.stderr.write(`car: resuming at run ${next}\n`);
}

export const resumeCommand: CommandModule<object, ResumeArgs> = {
  command: "resume",
  describe: "Continue after a crash or stop: clear a stale lock, then run",
  builder: (y) =>
    loopOptions(y)
      .option("once", { type: "boolean", default: false, describe: "Do only one run" })
      .example("car resume", "after the runner was killed: continue with the next run id")
      .example("car resume --once", "one more run") as never,
  handler: (argv) => executeLoop(argv, { once: argv.once ?? false, before: announce }),
};
