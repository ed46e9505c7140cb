import { createInterface } from "node:readline/promises";
import type { RollbackBody, UndoRollbackBody } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import { EXIT, UsageError } from "../exit-codes.js";
import type { Colors } from "../output/tty.js";
import { stdoutColors } from "../output/tty.js";
import { err, type GlobalArgs, loadCore, out, repoRoot, setExitCode } from "./common.js";
import { checkRunArg, explainMissingRun } from "./run-arg.js";

interface RollbackArgs extends GlobalArgs {
  run?: number;
  undo?: string;
  "dry-run"?: boolean;
  yes?: boolean;
  json?: boolean;
}

type Plan = RollbackBody | UndoRollbackBody;

const short = (sha: string | null) => (sha === null ? "(no commit)" : sha.slice(0, 12));

/** What a rollback changes (or changed), one line each; paths terminal-safe. */
function formatRollbackPlan(p: Plan, c: Colors, safe: (t: string) => string): string[] {
  const lines: string[] = [];
  for (const f of p.restore)
    lines.push(`  ${c.green("restore")}  ${safe(f.path)}${c.dim(` (${f.was} since)`)}`);
  for (const path of p.remove) lines.push(`  ${c.red("remove ")}  ${safe(path)}${c.dim(" (created since)")}`);
  for (const path of p.keep) lines.push(`  ${c.dim(`keep     ${safe(path)} (ignored: left alone)`)}`);
  const h = p.head;
  if (h) {
    const where = h.branch === null ? "HEAD (detached)" : safe(h.branch.replace(/^refs\/heads\//, ""));
    lines.push(
      h.from === h.to
        ? `  ${c.yellow("HEAD   ")}  back on ${where}`
        : `  ${c.yellow("branch ")}  ${where}: ${short(h.from)} → ${short(h.to)}`,
    );
  }
  if (p.index) lines.push(`  ${c.yellow("index  ")}  what was staged is set back too`);
  return lines;
}

function target(p: Plan, stamp: string | undefined): string {
  return "run_id" in p ? `the state before run ${p.run_id}` : `the state rollback ${stamp} replaced`;
}

function headline(p: Plan, stamp: string | undefined): string {
  if (!("run_id" in p)) return `back to ${target(p, stamp)}`;
  const runs = p.runs_undone.length > 0 ? p.runs_undone : [p.run_id];
  return `back to ${target(p, stamp)}, undoing run${runs.length > 1 ? "s" : ""} ${runs.join(", ")}`;
}

/** Ctrl-D (end of input) is a no; Ctrl-C an interruption (exit 130), never an internal error. */
async function confirm(question: string): Promise<"yes" | "no" | "interrupted"> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ctrlC = new AbortController();
  rl.on("SIGINT", () => ctrlC.abort());
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: ctrlC.signal })).trim()) ? "yes" : "no";
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
    if (ctrlC.signal.aborted) return "interrupted";
    process.stderr.write("\n"); // after the prompt, as Enter would have
    return "no";
  } finally {
    rl.close();
  }
}

export const rollbackCommand: CommandModule<object, RollbackArgs> = {
  command: "rollback [run]",
  describe: "Put the work tree back to before run N, undoing it and every later run (itself undoable)",
  builder: (y) =>
    y
      .positional("run", { type: "number", describe: "The run to undo (with every later run)" })
      .option("undo", {
        type: "string",
        describe: "Return to the state a rollback replaced (the stamp it printed)",
      })
      .option("dry-run", {
        type: "boolean",
        default: false,
        describe: "Print what would change; change nothing",
      })
      .option("yes", {
        alias: "y",
        type: "boolean",
        default: false,
        describe: "Do not ask for confirmation (needed without a terminal)",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "Print the POST /api/runs/:id/rollback body as JSON (needs --yes or --dry-run)",
      })
      .check((a) => {
        checkRunArg(a.run);
        if ((a.run === undefined) === (a.undo === undefined))
          throw new Error("name a run (`car rollback 3`) or a rollback to undo (`--undo STAMP`), not both");
        if (a.undo !== undefined && a.undo.trim() === "")
          throw new Error("--undo needs the rollback's stamp");
        return true;
      })
      .example("car rollback 3 --dry-run", "what undoing run 3 and later runs would change")
      .example("car rollback 3", "undo run 3 and every later run (asks first)")
      .example("car rollback --undo 2026-01-01T12-34-56.789Z", "return to the state before that rollback")
      .epilogue(
        "Refused while a runner is alive (exit 1). The state before a rollback is kept under refs/car/rollbacks/, so nothing is lost.",
      ) as never,
  handler: async (argv) => {
    const dryRun = argv["dry-run"] === true;
    const interactive = process.stdin.isTTY === true && !argv.json;
    if (!dryRun && !argv.yes && !interactive) {
      throw new UsageError(
        argv.json
          ? "--json does not ask for confirmation: pass --yes to roll back (or --dry-run to see the plan)"
          : "no terminal to confirm on: pass --yes to roll back (or --dry-run to see what would change)",
      );
    }
    const root = await repoRoot(argv);
    const core = await loadCore();
    const safe = core.makeTerminalSafe;
    const c = stdoutColors();
    const { run, undo: stamp } = argv;
    const act = (opts: { dryRun: boolean; confirm?: (plan: Plan) => Promise<boolean> }): Promise<Plan> =>
      run !== undefined
        ? core.rollbackRun(root, run, opts).catch((e: unknown) => explainMissingRun(core, root, run, e))
        : core.undoRollbackRun(root, stamp as string, opts);

    // On a terminal the plan is shown and confirmed while the lock is held, so what was confirmed is
    // what is done (nothing can start or change the tree in between); the list is not printed again.
    let answer: "yes" | "no" | "interrupted" | null = null;
    const ask = async (plan: Plan): Promise<boolean> => {
      out(`${c.bold("car rollback")}: ${headline(plan, stamp)}:`);
      for (const line of formatRollbackPlan(plan, c, safe)) out(line);
      answer = await confirm("Roll back? The current state is kept and can be restored. [y/N] ");
      return answer === "yes";
    };
    const body = await act({ dryRun, ...(!dryRun && !argv.yes ? { confirm: ask } : {}) });
    if (argv.json) {
      out(JSON.stringify(body, null, 2));
      return;
    }
    if (body.nothing_to_do) {
      out(`car: nothing to change: the work tree already matches ${target(body, stamp)}`);
      return;
    }
    if (answer !== null && answer !== "yes") {
      err("car: nothing changed");
      setExitCode(answer === "interrupted" ? EXIT.INTERRUPTED : EXIT.ERROR);
      return;
    }
    if (answer === null) {
      out(`car rollback${dryRun ? " (dry run: nothing changed)" : ""}: ${headline(body, stamp)}:`);
      for (const line of formatRollbackPlan(body, c, safe)) out(line);
    }
    if (body.undo) {
      out(`car: done; the state before is kept at ${body.undo.ref}`);
      out(`undo with: ${body.undo.command}`);
    }
  },
};
