import type { LoopStopReason } from "@codex-autorunner/core";
import type { Argv } from "yargs";
import { EXIT, exitCodeForStop } from "../exit-codes.js";
import { createRunView } from "../output/run-view.js";
import { stderrColors } from "../output/tty.js";
import { type GlobalArgs, loadCore, outputPolicy, repoRoot, setExitCode } from "./common.js";

export interface LoopArgs extends GlobalArgs {
  force?: boolean;
  quiet?: boolean;
  "max-runs"?: number;
}

/** The options every loop command (`run`, `once`, `resume`) takes. */
export function loopOptions<T>(y: Argv<T>) {
  return y
    .option("force", {
      type: "boolean",
      default: false,
      describe: "Take over the lock even if a live runner holds it",
    })
    .option("quiet", { type: "boolean", default: false, describe: "No live status line; plain lines only" });
}

const REASON_TEXT: Record<LoopStopReason, string> = {
  todo_done: "all TODO items are done",
  run_limit: "run limit reached",
  wallclock: "wall-clock limit reached",
  stop_requested: "stopped on request",
  token_budget: "token budget reached",
  agent_failed: "the agent failed",
  aborted: "interrupted",
  // The loop's detail says how many runs changed nothing (one message, not two).
  no_progress: "no progress",
  commit_failed: "the auto-commit failed",
  // The detail names the failing command and how many runs in a row failed.
  verify_failed: "the verification gate stopped the loop",
  limit_wait_exhausted: "usage-limit waits used up runner.max_limit_wait_seconds",
  needs_input: "the agent's question went unanswered",
  error: "stopped on an error",
};

/**
 * Runs the loop in this process (`run`, `once`, `resume`). SIGINT/SIGTERM abort it; the engine then
 * ends the agent's group, writes the end marker and state, and releases the lock before we exit.
 */
export async function executeLoop(
  argv: LoopArgs,
  opts: { once: boolean; before?: (root: string) => Promise<void> },
) {
  const root = await repoRoot(argv);
  const core = await loadCore();
  if (opts.before) await opts.before(root);

  outputPolicy.keepRunningWhenClosed = true;
  const live = process.stdout.isTTY === true && !argv.quiet;
  const view = createRunView({ live, safe: core.makeTerminalSafe });
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      view.note(
        `car: ${sig} again: still ending the current run (the agent gets a grace period, then SIGKILL)`,
      );
      return;
    }
    received = sig;
    view.note(`car: ${sig} received: ending the current run and saving state…`);
    // The signal's name is the abort reason, as in the detached runner: state says "killed by SIGTERM" either way.
    controller.abort(sig);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  let result: Awaited<ReturnType<typeof core.runLoop>>;
  try {
    result = await core.runLoop({
      root,
      once: opts.once,
      force: argv.force ?? false,
      signal: controller.signal,
      onEvent: (e) => view.onEvent(e),
      ...(argv["max-runs"] !== undefined ? { stopAfterRuns: argv["max-runs"] } : {}),
    });
  } finally {
    view.finish();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
  }

  const sigCode =
    received === "SIGTERM" ? EXIT.TERMINATED : received === "SIGHUP" ? EXIT.HANGUP : EXIT.INTERRUPTED;
  let code = result.reason === "aborted" ? sigCode : exitCodeForStop(result.reason);
  if (received && code === EXIT.OK) code = sigCode;

  const c = stderrColors();
  const runs = `${result.runs} run${result.runs === 1 ? "" : "s"}`;
  const last =
    result.lastRunId !== null && result.lastRunId !== undefined ? `, last run ${result.lastRunId}` : "";
  // The detail can quote the agent (an agent failure's message): shown, never sent to the terminal.
  const detail = result.detail ? `: ${core.makeTerminalSafe(result.detail)}` : "";
  const summary = `car: ${REASON_TEXT[result.reason] ?? result.reason}${detail} (${runs}${last})`;
  if (code === EXIT.OK) {
    process.stdout.write(`${summary}\n`);
  } else {
    process.stderr.write(`${code === EXIT.ERROR ? c.red(summary) : summary}\n`);
    if (result.reason === "verify_failed" && result.lastRunId != null) {
      process.stderr.write(
        `${c.dim(`hint: see the failing output with \`car log --run ${result.lastRunId}\`; check the gate with \`car verify\``)}\n`,
      );
    }
    if (result.reason === "agent_failed" && result.lastRunId != null) {
      const exit = result.lastExitCode != null ? ` (exit code ${result.lastExitCode})` : "";
      process.stderr.write(
        `${c.dim(`hint: run ${result.lastRunId} failed${exit}; see \`car log --run ${result.lastRunId}\``)}\n`,
      );
    }
    if (result.reason === "needs_input") {
      process.stderr.write(
        `${c.dim('hint: answer with `car steer "…"`, then `car resume`: the next run gets the answer')}\n`,
      );
    }
    if (result.reason === "limit_wait_exhausted") {
      process.stderr.write(
        `${c.dim("hint: `car resume` once the limit has reset; runner.max_limit_wait_seconds: null waits without a cap")}\n`,
      );
    }
  }
  setExitCode(code);
}
