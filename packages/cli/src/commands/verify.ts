import type { CommandModule } from "yargs";
import { EXIT } from "../exit-codes.js";
import { stderrColors, stdoutColors } from "../output/tty.js";
import { type GlobalArgs, loadCore, out, repoRoot, setExitCode } from "./common.js";

/**
 * `car verify`: the configured verify commands, now, outside the loop (the same runVerify the runner
 * uses), so a gate can be checked before a long run. Output is streamed as it comes, terminal-safe.
 */
export const verifyCommand: CommandModule<object, GlobalArgs> = {
  command: "verify",
  describe: "Run the verify commands (verify.commands) now; exit 1 when one fails",
  builder: (y) =>
    y
      .example("car verify", "check the gate before a long `car run`")
      .epilogue(
        "Exit codes: 0 passed (or no commands configured), 1 a command failed, 130 interrupted.",
      ) as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const { config } = await core.loadConfig(root);
    const settings = config.verify;
    const c = stdoutColors();
    if (settings.commands.length === 0) {
      out(
        "car: no verify commands are configured (verify.commands in .codex-autorunner/config.yml): nothing to check",
      );
      return;
    }
    const safe = core.makeTerminalSafe;
    const controller = new AbortController();
    let received: NodeJS.Signals | null = null;
    const onSignal = (sig: NodeJS.Signals) => {
      if (received) return;
      received = sig;
      process.stderr.write(`car: ${sig} received: ending the command's processes…\n`);
      controller.abort(sig);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    let outcome: Awaited<ReturnType<typeof core.runVerify>>;
    try {
      outcome = await core.runVerify(root, settings, {
        signal: controller.signal,
        killGraceMs: config.runner.kill_grace_seconds * 1000,
        defaultTimeoutSeconds: config.runner.run_timeout_seconds,
        // Its processes end even if this process is killed outright.
        lifeline: true,
        onStart: (command, { timeoutSeconds }) => {
          const limit = timeoutSeconds !== null ? c.dim(` (time limit ${timeoutSeconds} s)`) : "";
          out(c.bold(`── ${command.name}: ${safe(command.run)}`) + limit);
        },
        onLine: (stream, text) => {
          (stream === "stderr" ? process.stderr : process.stdout).write(`${safe(text)}\n`);
        },
        onEnd: (r) => {
          // A shell that could not start streamed nothing: the reason is in its output tail.
          if (r.exit_code === null && r.signal === null && !r.timed_out && r.output_tail !== "")
            process.stderr.write(`${safe(r.output_tail)}\n`);
          const took = core.formatDuration(r.duration_ms);
          out(
            r.passed
              ? c.green(`✓ ${r.name} passed in ${took}`)
              : c.red(`✗ ${r.name} FAILED (${core.describeResult(r)}) after ${took}`),
          );
        },
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("SIGHUP", onSignal);
    }
    if (outcome.aborted || received) {
      process.stderr.write("car: verification interrupted: no verdict\n");
      setExitCode(
        received === "SIGTERM" ? EXIT.TERMINATED : received === "SIGHUP" ? EXIT.HANGUP : EXIT.INTERRUPTED,
      );
      return;
    }
    const n = outcome.commands.length;
    if (outcome.passed) {
      out(c.green(`car: verification passed (${n} command${n === 1 ? "" : "s"})`));
      return;
    }
    const skipped = settings.commands.length - n;
    process.stderr.write(
      `${stderrColors().red(`car: verification FAILED: ${outcome.failed_command ?? "unknown command"}`)}${skipped > 0 ? ` (${skipped} later command${skipped === 1 ? "" : "s"} not run)` : ""}\n`,
    );
    setExitCode(EXIT.ERROR);
  },
};
