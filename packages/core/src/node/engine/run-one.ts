import { existsSync } from "node:fs";
import {
  chooseAgent,
  limitedUntil,
  usableFallback,
  withAgentLimit,
  withoutAgentLimit,
} from "../../agents/choose.js";
import type { AgentName } from "../../agents/names.js";
import type { Config } from "../../config/schema.js";
import { CarError, isCarError } from "../../errors.js";
import { LIMIT_WAIT_CAP_SECONDS, planLimitWait, resetAtFrom } from "../../limits/plan.js";
import { newWaiting, WAITING_MESSAGE_MAX_CHARS } from "../../limits/waiting.js";
import { isLogLine, sanitizeAgentLine } from "../../log/format.js";
import { addUsage, newRunRecord } from "../../runs/record.js";
import { waitingPatch } from "../../state/transitions.js";
import { findNeedsInput } from "../../steer/needs-input.js";
import { clipText } from "../../text.js";
import type { EngineEvent, LogStream, RunnerState, RunOutcome, RunRecord, TodoCounts } from "../../types.js";
import type { VerifyDecision } from "../../verify/gate.js";
import { verifyEnabled } from "../../verify/settings.js";
import { agentDefinition } from "../agent/agents.js";
import type { AgentBackend, AgentFailure, AgentRunSummary } from "../agent/backend.js";
import { type AgentExit, type AgentProcess, exitCodeOf, spawnAgent } from "../agent/spawn.js";
import type { RunCheckpoints } from "../checkpoint/around-run.js";
import { commitAll } from "../git.js";
import type { LogWriter } from "../log/writer.js";
import { setLongTimeout } from "../long-timeout.js";
import type { CarPaths } from "../paths.js";
import { openRawEvents, writeRunRecord } from "../runs-store.js";
import { verifyAfterRun } from "../verify/after-run.js";

/**
 * One run: start marker → record → `before` checkpoint → the agent (with watchdogs, retried as the
 * same run id on transient failures) → verification (when it exited 0) → auto-commit (unless the
 * verification said no) → `after` checkpoint → end marker → record finished. The loop owns state
 * transitions around it; this file owns everything between the two markers, and guarantees the end
 * marker and the finished record on every way out (including a thrown error).
 */

export interface RunContext {
  root: string;
  paths: CarPaths;
  config: Config;
  /** The reader of an agent's output for its args (agents.ts; tests override it). */
  backendFor: (agent: AgentName, args: readonly string[]) => AgentBackend;
  /** state.json as the loop holds it (agent_limits decide which agent runs). */
  getState: () => RunnerState;
  writer: LogWriter;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  emit: (event: EngineEvent) => void;
  /** Patch state.json (atomic write) and emit a `state` event. */
  setState: (patch: Partial<RunnerState>) => Promise<void>;
}

/**
 * How long a run may be silent before state.json says so (`quiet`, shown by status and the UI); half
 * the idle timeout when that is shorter.
 */
export const QUIET_AFTER_MS = 30_000;
/** Longest `quiet.last_command` kept: a heredoc command can carry a whole file. */
const QUIET_COMMAND_MAX_CHARS = 500;
const clipCommand = (c: string | null) => (c === null ? null : clipText(c, QUIET_COMMAND_MAX_CHARS));

export interface RunInput {
  runId: number;
  prompt: string;
  todoBefore: TodoCounts;
  /** The run's process marker (state.agent_marker): every process of the run carries it. */
  marker?: string;
  /** The TODO's text before the run: verification reopens what the run ticked against it. */
  todoText: string;
  /** Failing verifications in a row before this run. */
  verifyFailuresBefore: number;
  /** The run's checkpoints (null: off, or not a git repo). */
  checkpoints?: RunCheckpoints | null;
}

export interface RunResult {
  record: RunRecord;
  /** Why the run did not complete (null when it did). */
  failure: AgentFailure | null;
  /** Exit code written in the end marker (128 + signo when killed). */
  exitCode: number | null;
  /** The run ended because the loop's signal was aborted. */
  aborted: boolean;
  /** Exception to rethrow after the loop made state consistent (e.g. AGENT_NOT_FOUND). */
  error: unknown;
  /** What the verification decided (null: it did not run, or was aborted). */
  verify: VerifyDecision | null;
  /** `car stop` during a usage-limit wait: the run ended without the agent finishing it. */
  stopped: boolean;
  /** Usage-limit waits used up runner.max_limit_wait_seconds (the detail says how much). */
  limitExhausted: string | null;
}

type AttemptCause = "exit" | "run_timeout" | "idle_timeout" | "aborted";

interface AttemptResult {
  exit: AgentExit;
  cause: AttemptCause;
  summary: AgentRunSummary;
  /** The question of a `NEEDS_INPUT:` line in plain output (JSON backends: the final message). */
  needsInput: string | null;
}

/** Cap for one structured (JSONL) line kept whole for the parser. */
const RAW_MAX_LINE_BYTES = 64 * 1024 * 1024;
/**
 * Lines (and characters) handed to the log writer at once: bounds memory when one event carries a
 * huge message, whether of a million short lines or one 12 MB line.
 */
const LOG_BATCH_LINES = 1024;
const LOG_BATCH_CHARS = 64 * 1024;
const WATCHDOG_TICK_MS = 200;
/** Times one run may go from one agent to the other on usage limits; then it waits them out. */
const MAX_HANDOVERS = 4;

export async function runOne(ctx: RunContext, input: RunInput): Promise<RunResult> {
  const { runId } = input;
  const startedAt = new Date();
  await ctx.writer.startRun(runId);
  const runner = ctx.config.runner;
  // The primary agent, or the fallback while the primary sits out a usage limit.
  const choice = chooseAgent({
    primary: runner.agent,
    fallback: runner.fallback_agent,
    limits: ctx.getState().agent_limits,
    now: startedAt,
  });
  let agent = choice.agent;
  const record: RunRecord = newRunRecord({
    id: runId,
    startedAt,
    todoBefore: input.todoBefore,
    backend: backendOf(ctx, agent).name,
    agent,
    attempts: 1,
  });
  record.fallback_from = choice.fallbackFrom;

  const maxRetries = runner.max_retries;
  let failure: AgentFailure | null = null;
  let exitCode: number | null = null;
  let outcome: RunOutcome = "failed";
  let aborted = false;
  let stopped = false;
  let limitExhausted: string | null = null;
  let error: unknown = null;
  let needsInput: string | null = null;

  try {
    // Inside the try: whatever fails after the start marker, the end marker is still written.
    await writeRunRecord(ctx.paths, record);
    await input.checkpoints?.takeBefore();
    if (choice.fallbackFrom !== null) {
      const limit = ctx.getState().agent_limits?.[choice.fallbackFrom];
      await logCar(
        ctx,
        runId,
        "stderr",
        `[car] ${choice.fallbackFrom} sits out a usage limit until ${limit?.until ?? "?"}: run ${runId} goes to ${agent}`,
      );
    }
    // Retries count transient failures only; usage/rate limits are waits (limitWaits), never retries.
    let retries = 0;
    let limitWaits = 0;
    let handovers = 0;
    /** A wait that ended without "try again": its outcome is set, the run ends. */
    const waitEnded = (waited: Awaited<ReturnType<typeof waitOutLimit>>): boolean => {
      if (waited === "done") return false;
      if (waited === "aborted") {
        aborted = true;
        outcome = "interrupted"; // the agent was not running: nothing was killed
      } else if (waited === "stopped") stopped = true;
      else limitExhausted = waited.exhausted;
      return true;
    };
    // Started while its agent is still limited (both agents are, or no fallback): wait for the limit
    // first instead of spending an attempt on a refusal.
    // Measured now (the checkpoint may have taken a while): a limit that just ended is no wait.
    const checkedAt = new Date();
    const pending = limitedUntil(ctx.getState().agent_limits, agent, checkedAt);
    let ended = false;
    if (pending !== null) {
      failure = {
        kind: "rate_limit",
        message: ctx.getState().agent_limits?.[agent]?.message ?? "usage limit",
        retryAfterMs: pending.getTime() - checkedAt.getTime(),
      };
      ended = waitEnded(await waitOutLimit(ctx, runId, failure, limitWaits++, record));
    }
    for (let attempt = 1; !ended; attempt++) {
      record.attempts = attempt;
      ctx.emit({ type: "run.started", runId, at: isoSeconds(new Date()), attempt, todo: input.todoBefore });
      const a = await runAttempt(ctx, runId, input.prompt, input.marker, agent);
      exitCode = exitCodeOf(a.exit);
      record.exit_code = exitCode;
      record.signal = a.exit.signal;
      mergeSummary(record, a.summary);
      needsInput = a.needsInput;

      if (a.cause === "aborted") {
        outcome = "killed";
        failure = { kind: "fatal", message: "aborted" };
        aborted = true;
        break;
      }
      if (a.cause === "run_timeout") {
        outcome = "timed_out";
        failure = { kind: "fatal", message: `run timed out after ${runner.run_timeout_seconds}s` };
        break;
      }
      if (a.cause === "idle_timeout") {
        outcome = "stalled";
        failure = { kind: "transient", message: `no output for ${runner.idle_timeout_seconds}s (stalled)` };
      } else if (a.exit.code === 0 && a.summary.failure === null) {
        outcome = "completed";
        failure = null;
        break;
      } else {
        outcome = "failed";
        failure = a.summary.failure ?? { kind: "fatal", message: `agent exited ${exitCode ?? "?"}` };
      }

      // Keep runs/<id>.json current while waiting (status shows the attempts so far).
      if (failure.kind === "rate_limit") {
        // With a fallback agent the run goes on with the other one: at once when it is free, else after
        // waiting for the limit that ends first (both limited).
        // Bounded: two agents whose short limits keep ending while the other runs would otherwise hand
        // the run back and forth without ever waiting (and without spending the wait budget).
        const other =
          handovers < MAX_HANDOVERS ? await otherAgentOnLimit(ctx, runId, agent, failure, limitWaits) : null;
        if (other !== null) handovers++;
        if (other === null || other.limit !== null) {
          await writeRunRecord(ctx.paths, { ...record, error: failure.message });
          if (waitEnded(await waitOutLimit(ctx, runId, other?.limit ?? failure, limitWaits++, record))) break;
        }
        if (other !== null) {
          // Switched only now the next attempt runs: a stopped wait leaves the record naming the agent that ran last.
          agent = other.agent;
          record.agent = agent;
          record.backend = backendOf(ctx, agent).name;
          record.fallback_from = agent === runner.agent ? null : runner.agent;
          await writeRunRecord(ctx.paths, { ...record, error: failure.message });
        }
        continue;
      }
      retries++;
      if (failure.kind === "fatal" || retries > maxRetries) break;
      await writeRunRecord(ctx.paths, { ...record, error: failure.message });
      const retried = await waitBeforeRetry(ctx, runId, retries, maxRetries, failure);
      if (!retried) {
        aborted = true;
        break;
      }
    }
  } catch (err) {
    error = err;
    failure = { kind: "fatal", message: (err as Error).message };
    outcome = "failed";
    // A binary that cannot be started is "command not found" in shell terms.
    if (exitCode === null) exitCode = isCarError(err, "AGENT_NOT_FOUND") ? 127 : 1;
    record.exit_code = exitCode;
    await ctx.writer.line(runId, "stderr", `[car] ${(err as Error).message}`).catch(() => {});
  }

  if (stopped) {
    outcome = "interrupted";
    failure = {
      kind: "fatal",
      message: `stopped during a usage-limit wait (${failure?.message ?? "limit"})`,
    };
  } else if (limitExhausted !== null) {
    failure = { kind: "fatal", message: limitExhausted };
  }
  // An agent that just finished a run is no longer limited, whatever its old reset time said.
  if (outcome === "completed" && ctx.getState().agent_limits?.[agent] !== undefined) {
    await ctx.setState({ agent_limits: withoutAgentLimit(ctx.getState().agent_limits, agent, new Date()) });
  }
  // The agent's question counts only when it finished its turn (a failed run is retried, not asked).
  if (outcome === "completed") {
    record.needs_input = record.final_message !== null ? findNeedsInput(record.final_message) : needsInput;
  }
  record.outcome = outcome;
  record.error = failure && outcome !== "completed" ? failure.message : null;

  // The harness checks the agent's claim before anything is committed (inside the block: its output
  // is logged with the run it belongs to).
  let verify: VerifyDecision | null = null;
  if (outcome === "completed" && error === null && verifyEnabled(ctx.config.verify)) {
    try {
      const v = await verifyAfterRun({
        root: ctx.root,
        config: ctx.config,
        runId,
        todoBefore: input.todoText,
        failuresBefore: input.verifyFailuresBefore,
        ...(input.marker !== undefined ? { marker: input.marker } : {}),
        env: ctx.env,
        signal: ctx.signal,
        log: (stream, text) => logCar(ctx, runId, stream, text),
        logOutput: (stream, text) => logLines(ctx, runId, stream, [text]),
        setPid: (pid) => ctx.setState({ agent_pid: pid }),
      });
      record.verify = v.record;
      if (v.record.aborted) aborted = true;
      else verify = v.decision;
    } catch (err) {
      error = err;
      await ctx.writer.line(runId, "stderr", `[car] verification: ${(err as Error).message}`).catch(() => {});
    }
  }

  // Commit inside the block so its result is logged with the run it belongs to.
  if (outcome === "completed" && ctx.config.git.auto_commit && !aborted && error === null) {
    if (verify === null || verify.commit) await autoCommit(ctx, runId, record);
    else await logCar(ctx, runId, "stderr", `[car] no commit for run ${runId}: its verification failed`);
  }

  // After verification and the commit: the state this run leaves behind.
  if (input.checkpoints) {
    await input.checkpoints.takeAfter();
    record.checkpoints = await input.checkpoints.record();
  }

  await ctx.writer.endRun(runId, exitCode);
  const finishedAt = new Date();
  record.finished_at = isoSeconds(finishedAt);
  record.duration_ms = finishedAt.getTime() - startedAt.getTime();
  return { record, failure, exitCode, aborted, error, verify, stopped, limitExhausted };
}

function backendOf(ctx: RunContext, agent: AgentName): AgentBackend {
  return ctx.backendFor(agent, agentDefinition(agent).command(ctx.config, "run").args);
}

/**
 * `agent` hit a usage limit and runner.fallback_agent is set: note the limit in state.json
 * (`agent_limits`, shown by status) and name the agent to go on with: the other one, free now
 * (`limit: null`), or the one whose limit ends first (`limit`: what to wait for). Null: no fallback,
 * or `agent` itself is the one to wait for (the usual limit wait follows).
 */
async function otherAgentOnLimit(
  ctx: RunContext,
  runId: number,
  agent: AgentName,
  failure: AgentFailure,
  limitWaits: number,
): Promise<{ agent: AgentName; limit: AgentFailure | null } | null> {
  const runner = ctx.config.runner;
  const fallback = usableFallback(runner.agent, runner.fallback_agent);
  if (fallback === null) return null;
  const now = new Date();
  // The reset time the agent gave, else the backoff step of this run's limit waits so far (growing as
  // a single agent's would, so two limited agents are not tried every base step for the whole budget).
  const plan = planLimitWait({
    resetAt: resetAtFrom(failure.retryAfterMs, now),
    now,
    attempt: limitWaits,
    baseSeconds: runner.limit_wait_seconds,
    capSeconds: LIMIT_WAIT_CAP_SECONDS,
    budgetSeconds: null,
    waitedSoFarMs: 0,
  });
  // Whole seconds, rounded up: the agent is never tried before the reset it gave. A reset beyond the
  // wait budget (a weekly limit, a far-off date) is checked again after the budget, not given up on.
  const budgetMs = runner.max_limit_wait_seconds === null ? Infinity : runner.max_limit_wait_seconds * 1000;
  const reset = Math.min((plan.exhausted ? now : plan.until).getTime(), now.getTime() + budgetMs);
  const until = new Date(Math.ceil(reset / 1000) * 1000);
  const limits = withAgentLimit(
    ctx.getState().agent_limits,
    agent,
    // Capped as a wait's message is: state.json is rewritten often and shown by status.
    { until: isoSeconds(until), message: clipText(failure.message, WAITING_MESSAGE_MAX_CHARS) },
    now,
  );
  await ctx.setState({ agent_limits: limits });
  const next = chooseAgent({ primary: runner.agent, fallback, limits, now }).agent;
  if (next === agent) return null;
  const nextUntil = limitedUntil(limits, next, now);
  await logCar(
    ctx,
    runId,
    "stderr",
    `[car] ${agent}: usage limit until ${isoSeconds(until)} (${failure.message}); run ${runId} goes on with ${next}` +
      (nextUntil !== null ? ` once its own limit ends at ${isoSeconds(nextUntil)}` : ""),
  );
  if (nextUntil === null) return { agent: next, limit: null };
  const message = limits[next]?.message ?? "usage limit";
  return {
    agent: next,
    limit: { kind: "rate_limit", message, retryAfterMs: nextUntil.getTime() - now.getTime() },
  };
}

async function autoCommit(ctx: RunContext, runId: number, record: RunRecord): Promise<void> {
  const message = ctx.config.git.commit_message_template.replaceAll("{run_id}", String(runId));
  try {
    const { leftOut, ...r } = await commitAll(ctx.root, message);
    record.commit = r;
    for (const file of leftOut ?? []) {
      await logCar(
        ctx,
        runId,
        "stderr",
        `[car] left ${file} out of the commit: it holds server.auth_token (a secret); use env CAR_AUTH_TOKEN or the server's token file instead`,
      );
    }
    // r.message already says what failed ("git commit failed: <git's words>"): logged once, as is.
    if (r.ok)
      await logCar(ctx, runId, "stdout", r.sha ? `[car] ${r.message}` : "[car] git: nothing to commit");
    else await logCar(ctx, runId, "stderr", `[car] ${r.message}`);
  } catch (err) {
    const msg = `git commit failed: ${(err as Error).message}`;
    record.commit = { ok: false, sha: null, message: msg };
    await logCar(ctx, runId, "stderr", `[car] ${msg}`);
  }
}

/** Log a line of ours inside the run's block and emit it. */
export async function logCar(ctx: RunContext, runId: number, stream: LogStream, text: string): Promise<void> {
  await logLines(ctx, runId, stream, sanitizeAgentLine(text));
}

/** Sanitised lines into the run's block, then one `log` event each. */
async function logLines(ctx: RunContext, runId: number, stream: LogStream, lines: string[]): Promise<void> {
  await ctx.writer.lines(runId, stream, lines);
  emitLines(ctx, runId, stream, lines);
}

function emitLines(ctx: RunContext, runId: number, stream: LogStream, lines: Iterable<string>): void {
  const ts = isoSecondsNow();
  for (const line of lines) ctx.emit({ type: "log", runId, ts, stream, line });
}

/** Log why and when the next attempt comes, then sleep. Returns false when the loop was aborted meanwhile. */
async function waitBeforeRetry(
  ctx: RunContext,
  runId: number,
  retry: number,
  maxRetries: number,
  failure: AgentFailure,
): Promise<boolean> {
  const delayMs = backoffMs(ctx.config.runner.retry_base_seconds, retry - 1);
  await logCar(
    ctx,
    runId,
    "stderr",
    `[car] retrying (retry ${retry}/${maxRetries}) in ${Math.ceil(delayMs / 1000)}s: ${failure.message}`,
  );
  ctx.emit({ type: "retry", runId, attempt: retry + 1, delayMs, reason: failure.message });
  return sleepUnlessAborted(delayMs, ctx.signal);
}

/**
 * A usage/rate limit: wait until its reset time (or back off from runner.limit_wait_seconds) within
 * runner.max_limit_wait_seconds, shown in state.json (`waiting`, status "waiting") for as long as it
 * lasts. "done": try again; "aborted"/"stopped" (`car stop`): the wait stays in state.json, so a later
 * `car resume` honours what is left of it; `{exhausted}`: the budget is used up.
 */
async function waitOutLimit(
  ctx: RunContext,
  runId: number,
  failure: AgentFailure,
  waitsSoFar: number,
  record: RunRecord,
): Promise<"done" | "aborted" | "stopped" | { exhausted: string }> {
  const runner = ctx.config.runner;
  const now = new Date();
  const plan = planLimitWait({
    resetAt: resetAtFrom(failure.retryAfterMs, now),
    now,
    attempt: waitsSoFar,
    baseSeconds: runner.limit_wait_seconds,
    capSeconds: LIMIT_WAIT_CAP_SECONDS,
    budgetSeconds: runner.max_limit_wait_seconds,
    waitedSoFarMs: record.limit_wait_ms,
  });
  if (plan.exhausted) {
    const budget = `runner.max_limit_wait_seconds: ${runner.max_limit_wait_seconds}`;
    const detail =
      plan.waitedMs > 0
        ? `usage limit still there after ${Math.round(plan.waitedMs / 1000)}s of waiting (${budget}): ${failure.message}`
        : `usage limit resets later than the wait budget allows (${budget}): ${failure.message}`;
    await logCar(ctx, runId, "stderr", `[car] ${detail}`);
    return { exhausted: detail };
  }
  const waiting = newWaiting({ since: now, until: plan.until, message: failure.message });
  const secs = Math.ceil(plan.waitMs / 1000);
  await logCar(
    ctx,
    runId,
    "stderr",
    `[car] usage limit: waiting until ${waiting.until} (${secs}s, ${plan.source === "reset" ? "its reset time" : "backoff"}): ${failure.message}`,
  );
  await ctx.setState(waitingPatch(waiting, true));
  ctx.emit({ type: "waiting", runId, waiting });
  const started = Date.now();
  let stop = false;
  const slept = await sleepUnlessAborted(plan.waitMs, ctx.signal, () => {
    stop = existsSync(ctx.paths.stop);
    return stop;
  });
  record.limit_wait_ms += Date.now() - started;
  if (!slept) {
    await logCar(
      ctx,
      runId,
      "stderr",
      `[car] usage-limit wait ended early: ${stop ? "stop requested" : "aborted"}`,
    );
    return stop ? "stopped" : "aborted";
  }
  await ctx.setState(waitingPatch(null, true));
  ctx.emit({ type: "resumed", runId, reason: "rate_limit" });
  await logCar(ctx, runId, "stderr", "[car] usage-limit wait over: trying again");
  return "done";
}

/** retry_base_seconds × 2^n plus up to 25% jitter, so many runners do not retry in lockstep. */
export function backoffMs(baseSeconds: number, n: number): number {
  const base = baseSeconds * 1000 * 2 ** n;
  return Math.round(base + Math.random() * base * 0.25);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal, poll?: () => boolean): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let pollTimer: NodeJS.Timeout | undefined;
    const done = (v: boolean) => {
      cancel();
      clearInterval(pollTimer);
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    };
    const onAbort = () => done(false);
    const cancel = setLongTimeout(() => done(true), ms);
    if (poll) {
      pollTimer = setInterval(() => {
        if (poll()) done(false);
      }, 200);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function runAttempt(
  ctx: RunContext,
  runId: number,
  prompt: string,
  marker: string | undefined,
  agentName: AgentName,
): Promise<AttemptResult> {
  const { config, writer } = ctx;
  const runner = config.runner;
  const definition = agentDefinition(agentName);
  const { binary, args } = definition.command(config, "run");
  const backend = ctx.backendFor(agentName, args);
  const parser = backend.createParser({
    cwd: ctx.root,
    // The next prompt takes no more of the final message than this (the log has all of it).
    finalMessageMaxChars: config.prompt.prev_run_max_chars,
  });
  const keepRaw = backend.keepsRawEvents;
  const rawEvents = keepRaw ? openRawEvents(ctx.paths, runId) : null;
  let lastOutput = Date.now();
  const graceMs = runner.kill_grace_seconds * 1000;

  /** Structured output: each line through the parser, its readable lines logged in bounded batches. */
  const parseLines = async (stream: LogStream, lines: string[]) => {
    let out: string[] = [];
    let chars = 0;
    /** Adds a line to the batch; true when the batch is full (then await flush()). */
    const add = (piece: string): boolean => {
      out.push(piece);
      chars += piece.length;
      return out.length >= LOG_BATCH_LINES || chars >= LOG_BATCH_CHARS;
    };
    const flush = async () => {
      const batch = out;
      out = [];
      chars = 0;
      if (batch.length > 0) await logLines(ctx, runId, stream, batch);
    };
    for (let i = 0; i < lines.length; i++) {
      // Taken out of spawn's array: a 12 MB event line is garbage once parsed, not once all of its
      // readable lines are written.
      let line: string | null = lines[i] as string;
      lines[i] = "";
      let readable: Iterable<string>;
      try {
        readable = parser.lines ? parser.lines(stream, line) : parser.push(stream, line);
      } catch (err) {
        readable = [`[car] could not parse agent output: ${(err as Error).message}`];
      }
      line = null;
      for (const text of readable) {
        if (isLogLine(text)) {
          if (add(text)) await flush();
        } else for (const piece of sanitizeAgentLine(text)) if (add(piece)) await flush();
      }
    }
    await flush();
  };
  let needsInput: string | null = null;
  /** Plain output: a chunk's lines (sanitised by spawn) logged as one block, no string per line. */
  const logText = async (stream: LogStream, text: string) => {
    // Any output line may ask (plain backends have no final message); the last question wins.
    if (text.includes("NEEDS_INPUT")) needsInput = findNeedsInput(text) ?? needsInput;
    await writer.block(runId, stream, text);
    emitLines(ctx, runId, stream, text.split("\n"));
  };

  let agent: AgentProcess;
  try {
    agent = await spawnAgent({
      binary,
      binaryKey: `${definition.section}.binary`,
      args,
      cwd: ctx.root,
      env: ctx.env,
      // Everything the agent starts carries the marker and ends with the run, even if the runner dies.
      ...(marker !== undefined ? { marker } : {}),
      lifeline: { graceMs },
      orphanGraceMs: graceMs,
      stdin: prompt,
      sanitize: !keepRaw,
      maxLineBytes: keepRaw ? RAW_MAX_LINE_BYTES : undefined,
      // One call per chunk of output: one parse pass or one block, one writer append (see spawn.ts).
      ...(parser.verbatim && !keepRaw ? { onText: logText } : { onLines: parseLines }),
      onBytes: (stream, chunk) => {
        lastOutput = Date.now(); // also while a long line is still coming (no newline yet)
        // runs/<id>.jsonl gets stdout's bytes as they come, never a copy of a decoded event.
        return rawEvents && stream === "stdout" ? rawEvents.write(chunk) : undefined;
      },
    });
  } catch (err) {
    await rawEvents?.end().catch(() => {});
    throw err;
  }
  let cause: AttemptCause = "exit";
  const stop = (why: AttemptCause) => {
    if (cause !== "exit") return;
    cause = why;
    void agent.kill(graceMs);
  };
  const onAbort = () => stop("aborted");
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  if (ctx.signal.aborted) stop("aborted");
  const started = Date.now();
  // `quiet` in state.json: written once the run is silent for QUIET_AFTER_MS, cleared when output
  // resumes; one update at a time, from this tick only.
  let quietShown = false;
  let quietBusy = false;
  // Before the idle watchdog fires, whatever its setting.
  const quietAfter = Math.min(
    QUIET_AFTER_MS,
    (runner.idle_timeout_seconds ?? Number.POSITIVE_INFINITY) * 500,
  );
  const updateQuiet = (now: number) => {
    const quiet = now - lastOutput >= quietAfter;
    if (quiet === quietShown || quietBusy) return;
    quietBusy = true;
    quietShown = quiet;
    const value = quiet
      ? {
          run_id: runId,
          since: isoSeconds(new Date(lastOutput)),
          last_command: clipCommand(parser.lastCommand?.() ?? null),
        }
      : null;
    ctx
      .setState({ quiet: value })
      .catch(() => {})
      .finally(() => {
        quietBusy = false;
      });
  };
  const watchdog = setInterval(() => {
    const now = Date.now();
    updateQuiet(now);
    if (runner.run_timeout_seconds !== null && now - started >= runner.run_timeout_seconds * 1000) {
      stop("run_timeout");
    } else if (
      runner.idle_timeout_seconds !== null &&
      now - lastOutput >= runner.idle_timeout_seconds * 1000
    ) {
      stop("idle_timeout");
    }
  }, WATCHDOG_TICK_MS);

  let exit: AgentExit;
  try {
    await ctx.setState({ agent_pid: agent.pid });
    exit = await agent.exited;
  } catch (err) {
    // Never leave an agent running behind a failed runner.
    await agent.kill(graceMs);
    await rawEvents?.end().catch(() => {});
    throw err;
  } finally {
    clearInterval(watchdog);
    ctx.signal.removeEventListener("abort", onAbort);
  }
  if (quietShown) await ctx.setState({ quiet: null });
  // runs/<id>.jsonl is a by-product: failing to write it is logged, not a failed run.
  await rawEvents
    ?.end()
    .catch((err: unknown) => logCar(ctx, runId, "stderr", `[car] ${(err as Error).message}`));
  if (agent.leftovers > 0)
    await logCar(ctx, runId, "stderr", `[car] ended ${agent.leftovers} leftover process(es) of run ${runId}`);
  await ctx.setState({ agent_pid: null });
  let summary: AgentRunSummary;
  try {
    summary = parser.finish({ code: exit.code, signal: exit.signal });
  } catch (err) {
    throw new CarError(
      "INTERNAL",
      `The ${backend.name} output parser failed: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  return { exit, cause, summary, needsInput };
}

/** Fold one attempt's summary into the record; usage adds up over attempts (all of it was spent). */
function mergeSummary(record: RunRecord, s: AgentRunSummary): void {
  if (s.thread_id) record.thread_id = s.thread_id;
  if (s.final_message !== null) record.final_message = s.final_message;
  if (s.usage) record.usage = addUsage(record.usage, s.usage);
  if (s.cost_usd !== undefined && s.cost_usd !== null) record.cost_usd = (record.cost_usd ?? 0) + s.cost_usd;
  record.commands.push(...s.commands);
  for (const f of s.files_changed) if (!record.files_changed.includes(f)) record.files_changed.push(f);
}

export function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

let nowCache = { second: -1, text: "" };

/** isoSeconds(new Date()), formatted once per second (the runner stamps every batch of output). */
function isoSecondsNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== nowCache.second) nowCache = { second, text: isoSeconds(new Date(now)) };
  return nowCache.text;
}
