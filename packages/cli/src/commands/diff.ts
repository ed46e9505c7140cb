import type { ChangedFile, RunDiffBody } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import type { Colors } from "../output/tty.js";
import { stderrColors, stdoutColors } from "../output/tty.js";
import { err, type GlobalArgs, loadCore, out, repoRoot } from "./common.js";
import { checkRunArg, explainMissingRun } from "./run-arg.js";

interface DiffArgs extends GlobalArgs {
  run: number;
  stat?: boolean;
  json?: boolean;
  "max-bytes"?: number;
}

const STATUS_MARK: Record<ChangedFile["status"], string> = {
  added: "A",
  modified: "M",
  deleted: "D",
  renamed: "R",
};

/** One line per file (`M path  +3 -1`) and the totals; paths terminal-safe. */
function formatDiffStat(body: RunDiffBody, c: Colors, safe: (t: string) => string): string[] {
  const lines = body.files.map((f) => {
    const path = f.from !== undefined ? `${safe(f.from)} → ${safe(f.path)}` : safe(f.path);
    const counts = f.binary ? c.dim("binary") : `${c.green(`+${f.additions}`)} ${c.red(`-${f.deletions}`)}`;
    return `${STATUS_MARK[f.status]} ${path}  ${counts}`;
  });
  const n = body.files.length;
  lines.push(
    n === 0
      ? `run ${body.run_id} changed no files`
      : `${n} file${n === 1 ? "" : "s"} changed, ${c.green(`+${body.additions}`)} ${c.red(`-${body.deletions}`)}`,
  );
  return lines;
}

function colorPatchLine(line: string, c: Colors): string {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff --git")) return c.bold(line);
  if (line.startsWith("+")) return c.green(line);
  if (line.startsWith("-")) return c.red(line);
  if (line.startsWith("@@")) return c.cyan(line);
  return line;
}

export const diffCommand: CommandModule<object, DiffArgs> = {
  command: "diff <run>",
  describe: "Show what run N changed (from its checkpoint before to its checkpoint after)",
  builder: (y) =>
    y
      .positional("run", { type: "number", describe: "The run number", demandOption: true })
      .option("stat", { type: "boolean", describe: "Only the files with +/- line counts" })
      .option("json", {
        type: "boolean",
        describe: "Print the GET /api/runs/:id/diff body as JSON",
      })
      .option("max-bytes", {
        type: "number",
        describe: "Show at most this many bytes of the patch (default 512 KiB; the file list is never cut)",
      })
      .conflicts("stat", "json")
      .check((a) => {
        checkRunArg(a.run);
        const max = a["max-bytes"];
        if (max !== undefined && (!Number.isInteger(max) || max < 0))
          throw new Error("--max-bytes must be an integer ≥ 0");
        return true;
      })
      .example("car diff 3", "run 3's files and patch")
      .example("car diff 3 --stat", "files and line counts only")
      .example("car diff 3 --json | jq '.files[].path'", "for scripts") as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const max = argv["max-bytes"];
    const body = await core
      .runDiffBody(root, argv.run, max !== undefined ? { maxBytes: max } : {})
      .catch((e: unknown) => explainMissingRun(core, root, argv.run, e));
    if (argv.json) {
      out(JSON.stringify(body, null, 2));
      return;
    }
    const c = stdoutColors();
    const safe = core.makeTerminalSafe;
    for (const line of formatDiffStat(body, c, safe)) out(line);
    if (argv.stat || body.files.length === 0) return;
    out();
    const patch = safe(body.patch);
    for (const line of patch.split("\n").slice(0, patch.endsWith("\n") ? -1 : undefined)) {
      out(c.enabled ? colorPatchLine(line, c) : line);
    }
    if (body.cut) {
      const missing = body.cut.omitted_files.length;
      err(
        stderrColors().yellow(
          `car: the patch was cut at ${body.cut.shown_bytes} bytes${missing > 0 ? ` (${missing} file(s) not shown)` : ""}; --max-bytes shows more`,
        ),
      );
    }
  },
};
