import { existsSync, readFileSync } from "node:fs";
import { VERSION } from "./version.js";

/**
 * Start-up fast paths. Loading yargs costs more than starting node itself, so the commands people
 * run most often as scripts skip it: `car status [--json] [--repo PATH]`, `car --help` (the text
 * yargs renders, saved at build time as dist/help.txt) and `car --version`. Anything else, or any
 * doubt, goes through yargs.
 */
export type FastPath =
  | { kind: "status"; args: { repo?: string; json: boolean } }
  | { kind: "help"; text: string; usageError: boolean }
  | { kind: "version" };

export function matchFastPath(argv: readonly string[], helpFile: URL): FastPath | null {
  const bare = argv.length === 0;
  if (bare || (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h"))) {
    if (!existsSync(helpFile)) return null;
    return { kind: "help", text: readFileSync(helpFile, "utf8"), usageError: bare };
  }
  if (argv.length === 1 && argv[0] === "--version") return { kind: "version" };
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

export async function runFastPath(fast: FastPath): Promise<number> {
  if (fast.kind === "help") {
    // Bare `car` is a usage error: the help goes to stderr and the exit code is 2, as through yargs.
    (fast.usageError ? process.stderr : process.stdout).write(fast.text);
    return fast.usageError ? 2 : 0;
  }
  if (fast.kind === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [{ statusCommand }, { outcome }, { printError }, { exitCodeForError }] = await Promise.all([
    import("./commands/status.js"),
    import("./commands/common.js"),
    import("./output/errors.js"),
    import("./exit-codes.js"),
  ]);
  outcome.code = 0;
  try {
    await statusCommand.handler({ ...fast.args, _: ["status"], $0: "car" });
    return outcome.code;
  } catch (err) {
    printError(err);
    return exitCodeForError(err);
  }
}
