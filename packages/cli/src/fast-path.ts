import { existsSync, readFileSync } from "node:fs";
import { VERSION } from "./version.js";

/**
 * Start-up fast paths. Loading yargs costs more than starting node itself, so the commands people
 * run most often as scripts skip it: `car status [--json] [--repo PATH]`, `car log` with its usual
 * options (see matchLog), `car run` / `car once` with `--force`, `--quiet`, `--repo` (the loop's
 * start-up cost is a benchmark goal: apps/bench `harness`), `car --help` (the text
 * yargs renders, saved at build time as dist/help.txt) and `car --version`. Anything else, or any
 * doubt, goes through yargs.
 */
export type FastPath =
  | { kind: "status"; args: { repo?: string; json: boolean } }
  | { kind: "log"; args: { repo?: string; run?: number; tail?: number; follow: boolean } }
  | { kind: "loop"; command: "run" | "once"; args: { repo?: string; force: boolean; quiet: boolean } }
  | { kind: "help"; text: string; usageError: boolean }
  | { kind: "version" };

/** A run number as yargs would accept it for `--run` (and the check after it): 1, 2, ... */
const RUN_NUMBER = /^[1-9][0-9]{0,14}$/;
/** A line count for `--tail`: 0, 1, ... */
const LINE_COUNT = /^(?:0|[1-9][0-9]{0,14})$/;

/**
 * `--name VALUE` / `--name=VALUE` at argv[i], when the value is acceptable (`ok`): the value and
 * how many argv items it took; null otherwise (yargs then parses and reports).
 */
function valueOption(
  argv: readonly string[],
  i: number,
  name: string,
  ok: (v: string) => boolean,
): { value: string; used: number } | null {
  const a = argv[i]!;
  if (a === `--${name}`) {
    const v = argv[i + 1];
    return v !== undefined && !v.startsWith("-") && ok(v) ? { value: v, used: 2 } : null;
  }
  if (a.startsWith(`--${name}=`)) {
    const v = a.slice(name.length + 3);
    return ok(v) ? { value: v, used: 1 } : null;
  }
  return null;
}

const anyRepo = (v: string) => v.length > 0;

/** `--repo PATH` at argv[i] when not given yet: stores it; how many argv items it took (0: not a --repo here). */
function takeRepo(argv: readonly string[], i: number, args: { repo?: string }): number {
  const repo = args.repo === undefined ? valueOption(argv, i, "repo", anyRepo) : null;
  if (!repo) return 0;
  args.repo = repo.value;
  return repo.used;
}

export function matchFastPath(argv: readonly string[], helpFile: URL): FastPath | null {
  const bare = argv.length === 0;
  if (bare || (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h"))) {
    if (!existsSync(helpFile)) return null;
    return { kind: "help", text: readFileSync(helpFile, "utf8"), usageError: bare };
  }
  if (argv.length === 1 && argv[0] === "--version") return { kind: "version" };
  if (argv[0] === "log") return matchLog(argv);
  if (argv[0] === "run" || argv[0] === "once") return matchLoop(argv[0], argv);
  if (argv[0] !== "status") return null;
  const args: { repo?: string; json: boolean } = { json: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json" && !args.json) args.json = true;
    else if (
      a === "--repo" &&
      args.repo === undefined &&
      i + 1 < argv.length &&
      !argv[i + 1]!.startsWith("-")
    ) {
      args.repo = argv[++i]!;
    } else if (a.startsWith("--repo=") && args.repo === undefined && a.length > 7) args.repo = a.slice(7);
    else return null;
  }
  return { kind: "status", args };
}

/**
 * `car log [--run N | --tail N] [-f|--follow] [--repo PATH]` in their plain spellings, each at most
 * once, values that pass the command's own checks. Anything else (both --run and --tail, a bad
 * value, another flag, `--help`) goes through yargs, which gives the usage error or help.
 */
function matchLog(argv: readonly string[]): FastPath | null {
  const args: { repo?: string; run?: number; tail?: number; follow: boolean } = { follow: false };
  for (let i = 1; i < argv.length; ) {
    const a = argv[i]!;
    if ((a === "--follow" || a === "-f") && !args.follow) {
      args.follow = true;
      i++;
      continue;
    }
    const run =
      args.run === undefined && args.tail === undefined
        ? valueOption(argv, i, "run", (v) => RUN_NUMBER.test(v))
        : null;
    if (run) {
      args.run = Number(run.value);
      i += run.used;
      continue;
    }
    const tail =
      args.run === undefined && args.tail === undefined
        ? valueOption(argv, i, "tail", (v) => LINE_COUNT.test(v))
        : null;
    if (tail) {
      args.tail = Number(tail.value);
      i += tail.used;
      continue;
    }
    const used = takeRepo(argv, i, args);
    if (used === 0) return null;
    i += used;
  }
  return { kind: "log", args };
}

/** `car run|once [--force] [--quiet] [--repo PATH]`, each at most once; anything else goes through yargs. */
function matchLoop(command: "run" | "once", argv: readonly string[]): FastPath | null {
  const args: { repo?: string; force: boolean; quiet: boolean } = { force: false, quiet: false };
  for (let i = 1; i < argv.length; ) {
    const a = argv[i]!;
    let used = 1;
    if (a === "--force" && !args.force) args.force = true;
    else if (a === "--quiet" && !args.quiet) args.quiet = true;
    else used = takeRepo(argv, i, args);
    if (used === 0) return null;
    i += used;
  }
  return { kind: "loop", command, args };
}

/** What bin.ts needs from a command about closed output pipes (see commands/common.ts outputPolicy). */
export type OutputPolicy = { keepRunningWhenClosed: boolean };

export async function runFastPath(
  fast: FastPath,
  usePolicy: (policy: OutputPolicy) => void = () => {},
): Promise<number> {
  if (fast.kind === "help") {
    // Bare `car` is a usage error: the help goes to stderr and the exit code is 2, as through yargs.
    (fast.usageError ? process.stderr : process.stdout).write(fast.text);
    return fast.usageError ? 2 : 0;
  }
  if (fast.kind === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command, { outcome, outputPolicy }, { printError }, { exitCodeForError }] = await Promise.all([
    fast.kind === "status"
      ? import("./commands/status.js").then((m) => m.statusCommand)
      : fast.kind === "log"
        ? import("./commands/log.js").then((m) => m.logCommand)
        : fast.command === "run"
          ? import("./commands/run.js").then((m) => m.runCommand)
          : import("./commands/once.js").then((m) => m.onceCommand),
    import("./commands/common.js"),
    import("./output/errors.js"),
    import("./exit-codes.js"),
  ]);
  usePolicy(outputPolicy);
  outcome.code = 0;
  const name = fast.kind === "loop" ? fast.command : fast.kind;
  try {
    // The handler yargs would call, with the arguments yargs would give it.
    await (command.handler as (a: object) => Promise<void>)({ ...fast.args, _: [name], $0: "car" });
    return outcome.code;
  } catch (err) {
    printError(err);
    return exitCodeForError(err);
  }
}
