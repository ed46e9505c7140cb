/** The `<run>` argument of `car diff` / `car rollback`, shared. */

type Core = typeof import("@codex-autorunner/core/node");

/** For yargs' `.check()`: a run number is a whole number ≥ 1 (a usage error otherwise). */
export function checkRunArg(run: unknown): void {
  if (run !== undefined && (typeof run !== "number" || !Number.isSafeInteger(run) || run < 1)) {
    // yargs turns a word into NaN: "not NaN" would name a value the user never typed.
    throw new Error(`<run> must be a run number ≥ 1${Number.isNaN(run) ? "" : `, not ${String(run)}`}`);
  }
}

/**
 * A RUN_NOT_FOUND about a run's checkpoints made specific: a run that never existed says so (and how
 * far the runs go); a run that exists but has no checkpoints keeps core's message. Always throws.
 */
export async function explainMissingRun(core: Core, root: string, run: number, e: unknown): Promise<never> {
  if (!core.isCarError(e, "RUN_NOT_FOUND")) throw e;
  const paths = core.carPaths(root);
  const last = await new core.LogReader(paths.log, paths.logIndex).lastRunId().catch(() => null);
  if (last === null || run > last) {
    throw new core.CarError(
      "RUN_NOT_FOUND",
      `run ${run} does not exist${last !== null ? ` (runs go up to ${last})` : " (no runs yet)"}`,
      { run_id: run },
    );
  }
  throw e;
}
