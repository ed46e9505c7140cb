import type { NotifyEventName } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import { EXIT } from "../exit-codes.js";
import { stderrColors, stdoutColors } from "../output/tty.js";
import { err, type GlobalArgs, loadCore, out, repoRoot, setExitCode } from "./common.js";

interface NotifyArgs extends GlobalArgs {
  action: "test";
  event?: string;
}

/**
 * `car notify test`: one test event to every configured target (core's sendTestEvent, the same
 * delivery the runner uses), each result on its own line. Only target labels (`slack[2]`) and core's
 * redacted errors are printed: a URL can be a credential.
 */
export const notifyCommand: CommandModule<object, NotifyArgs> = {
  command: "notify <action>",
  describe: "Notifications: `car notify test` sends a test event to every target in notify.targets",
  builder: (y) =>
    y
      .positional("action", { choices: ["test"] as const, demandOption: true, describe: "What to do" })
      .option("event", {
        type: "string",
        describe:
          "The event to send (default loop_stopped): loop_stopped, run_failed, run_finished, waiting, resumed, needs_input",
      })
      .example("car notify test", "does every target get the event?")
      .example("car notify test --event needs_input", "what a question from the agent looks like")
      .epilogue("Exit codes: 0 every target got the event, 1 one failed (or none are configured).") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const events: readonly string[] = core.NOTIFY_EVENTS;
    if (argv.event !== undefined && !events.includes(argv.event)) {
      throw new core.CarError(
        "INVALID_ARGUMENT",
        `--event ${argv.event}: expected one of ${events.join(", ")}`,
        {
          key: "event",
          found: argv.event,
        },
      );
    }
    const { config } = await core.loadConfig(root);
    const targets = config.notify.targets;
    if (targets.length === 0) {
      err(
        "car: no notification targets are configured (notify.targets in .codex-autorunner/config.yml): nothing to test",
      );
      setExitCode(EXIT.ERROR);
      return;
    }
    const safe = core.makeTerminalSafe;
    const event = (argv.event ?? "loop_stopped") as NotifyEventName;
    out(`car: sending a test ${event} event to ${targets.length} target${targets.length === 1 ? "" : "s"}…`);
    const results = await core.sendTestEvent(targets, { root, event, env: process.env });
    const c = stdoutColors();
    const width = Math.max(...results.map((r) => r.label.length));
    for (const r of results) {
      const head = r.attempts === 0 ? "not sent" : r.status !== null ? `HTTP ${r.status}` : "no answer";
      // Core's error for an answered request already starts with "HTTP <status>".
      const what = r.error === null ? head : r.status !== null ? safe(r.error) : `${head}: ${safe(r.error)}`;
      const took = r.attempts > 0 ? c.dim(` (${core.formatDuration(r.duration_ms)})`) : "";
      out(`${r.ok ? c.green("ok    ") : c.red("FAILED")}  ${r.label.padEnd(width)}  ${what}${took}`);
    }
    const failed = results.filter((r) => !r.ok).length;
    if (failed > 0) {
      err(
        stderrColors().red(
          `car: ${failed} of ${results.length} target${results.length === 1 ? "" : "s"} failed`,
        ),
      );
      setExitCode(EXIT.ERROR);
    } else {
      out(c.green(`car: every target got the test event`));
    }
  },
};
