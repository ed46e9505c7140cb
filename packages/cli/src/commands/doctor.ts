import type { CommandModule } from "yargs";
import { EXIT } from "../exit-codes.js";
import { stdoutColors } from "../output/tty.js";
import { type GlobalArgs, loadCore, out, setExitCode, startDir } from "./common.js";

export const doctorCommand: CommandModule<object, GlobalArgs> = {
  command: "doctor",
  describe: "Check repo, git, config, docs, template, the agents' binaries and lock; exit 1 on any failure",
  builder: (y) => y.example("car doctor", "is everything ready for `car run`?") as never,
  handler: async (argv) => {
    const core = await loadCore();
    const report = await core.runDoctor(startDir(argv));
    const c = stdoutColors();
    const width = Math.max(0, ...report.checks.map((k) => k.name.length));
    for (const check of report.checks) {
      const mark = !check.ok ? c.red("FAIL") : check.warn ? c.yellow("warn") : c.green("ok  ");
      out(`${mark}  ${check.name.padEnd(width)}  ${check.detail ?? ""}`.trimEnd());
    }
    const warnings = report.checks.filter((k) => k.ok && k.warn).length;
    const warned = warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : "";
    out(report.ok ? c.green(`car: all checks passed${warned}`) : c.red(`car: some checks failed${warned}`));
    setExitCode(report.ok ? EXIT.OK : EXIT.ERROR);
  },
};
