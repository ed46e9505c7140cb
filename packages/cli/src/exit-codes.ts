import type { ErrorCode, LoopStopReason } from "@codex-autorunner/core";

/** Exit codes of every `car` command (documented in the README). */
export const EXIT = {
  /** Finished normally: TODO done, run limit, wall clock, token budget, stop request. */
  OK: 0,
  /** An error: bad config, lock held, agent failed, nothing running to stop, ... */
  ERROR: 1,
  /** Bad usage: unknown command or option, invalid argument value. */
  USAGE: 2,
  /** Interrupted by SIGINT (Ctrl-C). */
  INTERRUPTED: 130,
  /** The terminal went away (SIGHUP). */
  HANGUP: 129,
  /** Interrupted by SIGTERM. */
  TERMINATED: 143,
} as const;

/** A command-line usage error (from yargs or our own argument checks). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Duck-typed CarError check: `instanceof` would force loading core (and zod) just to print an error. */
export function carErrorCode(err: unknown): ErrorCode | null {
  if (typeof err !== "object" || err === null) return null;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === "CarError" && typeof e.code === "string" ? (e.code as ErrorCode) : null;
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  const code = carErrorCode(err);
  if (code === "INVALID_ARGUMENT") return EXIT.USAGE;
  return EXIT.ERROR;
}

export function exitCodeForStop(reason: LoopStopReason): number {
  switch (reason) {
    case "todo_done":
    case "run_limit":
    case "wallclock":
    case "stop_requested":
    case "token_budget":
      return EXIT.OK;
    case "aborted":
      return EXIT.INTERRUPTED;
    default:
      return EXIT.ERROR;
  }
}
