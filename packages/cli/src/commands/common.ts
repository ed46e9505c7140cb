import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";

/** Options every command has (declared once, globally, in index.ts). */
export interface GlobalArgs {
  repo?: string;
}

/** Exit code chosen by the handler that ran; read by `main` after yargs returns. */
export const outcome = { code: 0 };

/**
 * The arguments `main` got, as given: yargs re-parses a positional as `--name value`, which turns a
 * lone `-` (stdin, as in `car steer -`) into "" (indistinguishable from an empty argument).
 */
export const invocation = { argv: [] as readonly string[] };

/**
 * What to do when stdout/stderr is closed under us (`car run | head`): most commands just end; the
 * loop keeps going (its output is in the log anyway) so a run is never cut short by a closed pipe.
 */
export const outputPolicy = { keepRunningWhenClosed: false };

export function setExitCode(code: number): void {
  outcome.code = code;
}

/** Core's Node API, loaded only inside handlers so `car --help` stays fast. */
export function loadCore(): Promise<typeof import("@codex-autorunner/core/node")> {
  return import("@codex-autorunner/core/node");
}

/** `--repo PATH` (default: cwd) as an absolute path, before walking up. */
export function startDir(argv: GlobalArgs): string {
  return resolve(process.cwd(), argv.repo ?? ".");
}

/** The repository root: `--repo` or cwd, walked up to the git root (a `.git` file counts). */
export async function repoRoot(argv: GlobalArgs): Promise<string> {
  const core = await loadCore();
  const start = startDir(argv);
  if (argv.repo !== undefined && !existsSync(start)) {
    throw new core.CarError("INVALID_ARGUMENT", `--repo ${argv.repo}: no such directory (${start})`);
  }
  return core.findRepoRoot(start);
}

/** Adds a `--force` flag with the given description. */
export function withForce<T>(y: Argv<T>, describe: string) {
  return y.option("force", { type: "boolean", default: false, describe });
}

export function out(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function err(line = ""): void {
  process.stderr.write(`${line}\n`);
}
