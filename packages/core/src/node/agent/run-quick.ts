import { isCarError } from "../../errors.js";
import { type AgentExit, type AgentProcess, spawnAgent } from "./spawn.js";

/**
 * A quick question to a program (`--version`, `exec --help`) that must not hang `car doctor`: it runs
 * like the agent does (own process group, spawn.ts), with stdin closed at once so a program that reads
 * it sees EOF instead of waiting, and after `timeoutMs` the whole group is killed and the call returns.
 */

export interface QuickRun {
  /** Output lines (stdout and stderr, as they came), joined with "\n". */
  out: string;
  /** Null when it ran and exited 0; else "timed out after 5 s", "exited with code 3", a spawn error. */
  failure: string | null;
  /** errno of a spawn failure (ENOENT: no such program, EACCES: not executable), else null. */
  errno: string | null;
  timedOut: boolean;
}

/** Enough for any --help; the rest is dropped. */
const MAX_LINES = 10_000;

/** "5 s", "0.5 s": how a timeout is named in messages. */
export function formatTimeout(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export async function runQuick(
  binary: string,
  args: string[],
  timeoutMs: number,
  cwd: string = process.cwd(),
): Promise<QuickRun> {
  const lines: string[] = [];
  let proc: AgentProcess;
  try {
    proc = await spawnAgent({
      binary,
      args,
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdin: "",
      onLines: (_stream, batch) => {
        if (lines.length < MAX_LINES) lines.push(...batch.slice(0, MAX_LINES - lines.length));
      },
      drainMs: 200,
      orphanGraceMs: 200,
    });
  } catch (err) {
    const cause = isCarError(err) ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
    return { out: "", failure: (err as Error).message, errno: cause?.code ?? null, timedOut: false };
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    proc.exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) await proc.kill(0);
  const exit = await proc.exited;
  return {
    out: lines.join("\n"),
    failure: timedOut ? `timed out after ${formatTimeout(timeoutMs)}` : exitFailure(exit),
    errno: null,
    timedOut,
  };
}

function exitFailure(exit: AgentExit): string | null {
  if (exit.code === 0) return null;
  return exit.code !== null ? `exited with code ${exit.code}` : `killed by ${exit.signal ?? "a signal"}`;
}
