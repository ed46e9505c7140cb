import { chainMarker, RUN_MARKER_ENV } from "../../proc/marker.js";
import type { LogStream } from "../../types.js";
import {
  commandPassed,
  type VerifyCommandResult,
  type VerifyOutcome,
  verifyOutcome,
} from "../../verify/result.js";
import { effectiveTimeoutSeconds, type VerifyCommand, type VerifySettings } from "../../verify/settings.js";
import { OutputTail } from "../../verify/tail.js";
import { type AgentExit, type AgentProcess, spawnAgent } from "../agent/spawn.js";
import { isProcessAlive } from "../proc/procfs.js";

/**
 * Runs the verify commands in order, each as `sh -c <run>` in the repo root, through spawnAgent: its
 * own process group, a fresh run marker in its environment (so a background job it leaves, even in
 * another session, is found), output split into sanitised lines with back-pressure, and everything
 * it started ended when it exits. A time limit or an abort ends all of its processes (SIGTERM, grace,
 * SIGKILL). The first failure ends the sequence; an abort ends it too, without a verdict.
 */

export interface RunVerifyOptions {
  /** Each output line as it comes (sanitised, both streams in order); awaited (back-pressure). */
  onLine?: (stream: LogStream, text: string, command: VerifyCommand) => void | Promise<void>;
  /** A command started (its pid is its process group id: for state.agent_pid / `car kill`). */
  onStart?: (
    command: VerifyCommand,
    info: { pid: number; timeoutSeconds: number | null },
  ) => void | Promise<void>;
  /** A command ended (before the next one starts). */
  onEnd?: (result: VerifyCommandResult) => void | Promise<void>;
  /** Abort = end the running command's processes now and run no more. */
  signal?: AbortSignal;
  /** SIGTERM → SIGKILL grace on a timeout, an abort, or for leftovers (default 2 s). */
  killGraceMs?: number;
  /** A command's limit when it sets none (`runner.run_timeout_seconds`; null: none). */
  defaultTimeoutSeconds?: number | null;
  /** The environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The run's marker (state.agent_marker): added to the commands' environment under their own, so
   * recovery and `car kill` find them as processes of the run.
   */
  runMarker?: string;
  /** Start a lifeline per command, so its processes end even if this process dies (needs the build). */
  lifeline?: boolean;
  /** After a command's shell exited, how long to wait for a background job holding its output (default 2 s). */
  drainMs?: number;
}

const DEFAULT_KILL_GRACE_MS = 2_000;
/** setTimeout fires at once beyond this (about 24.8 days): a longer limit is that long. */
const MAX_TIMER_MS = 2_147_483_647;

export async function runVerify(
  root: string,
  settings: Pick<VerifySettings, "commands" | "output_max_chars">,
  options: RunVerifyOptions = {},
): Promise<VerifyOutcome> {
  const results: VerifyCommandResult[] = [];
  for (const command of settings.commands) {
    if (options.signal?.aborted) return verifyOutcome(results, true);
    const { result, aborted } = await runCommand(root, command, settings.output_max_chars, options);
    results.push(result);
    await options.onEnd?.(result);
    if (aborted) return verifyOutcome(results, true);
    if (!result.passed) break;
  }
  return verifyOutcome(results, false);
}

async function runCommand(
  root: string,
  command: VerifyCommand,
  maxChars: number,
  options: RunVerifyOptions,
): Promise<{ result: VerifyCommandResult; aborted: boolean }> {
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const timeoutSeconds = effectiveTimeoutSeconds(command, options.defaultTimeoutSeconds);
  const tail = new OutputTail(maxChars);
  const env = { ...(options.env ?? process.env) };
  if (options.runMarker) env[RUN_MARKER_ENV] = chainMarker(env[RUN_MARKER_ENV], options.runMarker);
  const started = performance.now();
  const result = (exit: AgentExit | null, timedOut: boolean, output: string): VerifyCommandResult => {
    const r = {
      name: command.name,
      command: command.run,
      exit_code: exit?.code ?? null,
      signal: exit?.signal ?? null,
      timed_out: timedOut,
      timeout_seconds: timeoutSeconds,
      duration_ms: Math.round(performance.now() - started),
      output_tail: output,
    };
    return { ...r, passed: exit !== null && commandPassed(r) };
  };

  let proc: AgentProcess;
  try {
    proc = await spawnAgent({
      binary: "sh",
      args: ["-c", command.run],
      cwd: root,
      env,
      stdin: "",
      onLines: async (stream, lines) => {
        for (const line of lines) {
          tail.push(line);
          await options.onLine?.(stream, line, command);
        }
      },
      orphanGraceMs: graceMs,
      ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
      ...(options.lifeline ? { lifeline: { graceMs } } : {}),
    });
  } catch (err) {
    // The shell could not start (the repo root is gone): the gate cannot pass.
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error) : (err as Error);
    tail.push(`[car] could not start \`sh -c\` in ${root}: ${cause.message}`);
    return { result: result(null, false, tail.text()), aborted: false };
  }

  let timedOut = false;
  let aborted = false;
  const end = () => void proc.kill(graceMs);
  const timer =
    timeoutSeconds !== null
      ? setTimeout(
          () => {
            // A shell that already exited (its output still draining) finished in time.
            if (!isProcessAlive(proc.pid)) return;
            timedOut = true;
            end();
          },
          Math.min(timeoutSeconds * 1000, MAX_TIMER_MS),
        )
      : undefined;
  const onAbort = () => {
    aborted = true;
    end();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await options.onStart?.(command, { pid: proc.pid, timeoutSeconds });
    if (options.signal?.aborted) onAbort();
    const exit = await proc.exited;
    return { result: result(exit, timedOut, tail.text()), aborted };
  } catch (err) {
    await proc.kill(graceMs);
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
