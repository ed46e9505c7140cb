import { promises as fsp } from "node:fs";
import type { LogEntry } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import { EXIT } from "../exit-codes.js";
import { liteRepoRoot, loadLite } from "../fast-core.js";
import { printError } from "../output/errors.js";
import { err, type GlobalArgs, setExitCode } from "./common.js";

export interface LogArgs extends GlobalArgs {
  run?: number;
  tail?: number;
  follow?: boolean;
}

type Reader = InstanceType<Awaited<ReturnType<typeof loadLite>>["LogReader"]>;

/** Log text to stdout, made terminal-safe (core's makeTerminalSafe): agent lines cannot drive the terminal. */
function print(text: string, safe: (text: string) => string): void {
  if (text === "") return;
  const shown = safe(text);
  process.stdout.write(shown.endsWith("\n") ? shown : `${shown}\n`);
}

/**
 * Where --follow starts so nothing is lost or repeated: `before` is the log size taken before the
 * printed text was read; lines appended in between are skipped when the printed text already ends
 * with them (appends only, so they form a prefix of what follows `before`).
 */
async function followStart(reader: Reader, before: number, printed: string): Promise<number> {
  const { entries } = await reader.readFrom(before, 10_000);
  let acc = "";
  let skip = 0;
  for (const e of entries) {
    acc += `${e.raw}\n`;
    if (printed.endsWith(acc)) skip = Buffer.byteLength(acc, "utf8");
  }
  return before + skip;
}

export const logCommand: CommandModule<object, LogArgs> = {
  command: "log",
  describe: "Print a run's block of the log (default: the last run), the last N lines, or follow it",
  builder: (y) =>
    y
      .option("run", { type: "number", describe: "Print run N's block (start marker to end marker)" })
      .option("tail", { type: "number", describe: "Print the last N lines of the log" })
      .option("follow", {
        alias: "f",
        type: "boolean",
        default: false,
        describe: "Keep printing new lines until Ctrl-C",
      })
      .conflicts("run", "tail")
      .check((a) => {
        if (a.run !== undefined && (!Number.isInteger(a.run) || a.run < 1))
          throw new Error("--run must be a run number ≥ 1");
        if (a.tail !== undefined && (!Number.isInteger(a.tail) || a.tail < 0))
          throw new Error("--tail must be an integer ≥ 0");
        return true;
      })
      .example("car log", "the last run's block")
      .example("car log --run 3", "run 3's block")
      .example("car log --tail 40 --follow", "the last 40 lines, then new ones as they come") as never,
  handler: async (argv) => {
    // The lite entry: no zod at start-up (a lookup should cost about as much as starting node).
    const root = await liteRepoRoot(argv);
    const core = await loadLite();
    // The log is at a fixed path: a broken config.yml is reported (stderr) but does not hide it.
    const { config, error: configError } = await core.loadConfigLenient(root);
    if (configError) printError(configError);
    const paths = core.carPaths(root, config ?? undefined);
    const safe = core.makeTerminalSafe;
    const before = await fsp.stat(paths.log).then(
      (s) => s.size,
      () => 0,
    );
    const reader = new core.LogReader(paths.log, paths.logIndex);
    let printed = "";
    if (argv.tail !== undefined) {
      printed = await reader.tail(argv.tail);
    } else if (argv.run !== undefined) {
      const block = await reader.readRun(argv.run);
      if (block === null) {
        const last = await reader.lastRunId();
        throw new core.CarError(
          "RUN_NOT_FOUND",
          `run ${argv.run} is not in the log${last !== null ? ` (runs go up to ${last})` : " (no runs yet)"}`,
          { file: ".codex-autorunner/codex-autorunner.log" },
        );
      }
      printed = block;
    } else {
      const last = await reader.lastRunId();
      if (last === null) {
        if (!argv.follow) err("car: the log has no runs yet");
      } else {
        printed = (await reader.readRun(last)) ?? "";
      }
    }
    print(printed, safe);
    if (!argv.follow) return;

    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const follower = core.followLog(paths.log, {
        from: await followStart(reader, before, printed),
        signal: controller.signal,
        onEntries: (entries: LogEntry[]) => print(entries.map((e) => e.raw).join("\n"), safe),
        onReset: () => err("car: the log was truncated or replaced; following from its start"),
      });
      await follower.done;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    setExitCode(EXIT.INTERRUPTED);
  },
};
