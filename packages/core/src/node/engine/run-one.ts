import type { Config } from "../../config/schema.js";
import { CarError, isCarError } from "../../errors.js";
import { isLogLine, sanitizeAgentLine } from "../../log/format.js";
import { newWaiting } from "../../limits/waiting.js";
import { newRunRecord } from "../../runs/record.js";
import type {
  EngineEvent,
  LogStream,
  RunnerState,
  RunOutcome,
  RunRecord,
  TodoCounts,
  TokenUsage,
} from "../../types.js";
import type { VerifyDecision } from "../../verify/gate.js";
import { verifyEnabled } from "../../verify/settings.js";
import type { AgentBackend, AgentFailure, AgentRunSummary } from "../agent/backend.js";
import { type AgentExit, type AgentProcess, exitCodeOf, spawnAgent } from "../agent/spawn.js";
import type { RunCheckpoints } from "../checkpoint/around-run.js";
import { commitAll } from "../git.js";
import type { LogWriter } from "../log/writer.js";
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
  backend: AgentBackend;
  writer: LogWriter;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  emit: (event: EngineEvent) => void;
  /** Patch state.json (atomic write) and emit a `state` event. */
  setState: (patch: Partial<RunnerState>) => Promise<void>;
}

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
}

type AttemptCause = "exit" | "run_timeout" | "idle_timeout" | "aborted";

interface AttemptResult {
  exit: AgentExit;
  cause: AttemptCause;
  summary: AgentRunSummary;
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

export async function runOne(ctx: RunContext, input: RunInput): Promise<RunResult> {
  const { runId } = input;
  const startedAt = new Date();
  await ctx.writer.startRun(runId);
  const record: RunRecord = newRunRecord({
    id: runId,
    startedAt,
    todoBefore: input.todoBefore,
    backend: ctx.backend.name,
    attempts: 1,
  });

  const runner = ctx.config.runner;
  const maxRetries = runner.max_retries;
  let failure: AgentFailure | null = null;
  let exitCode: number | null = null;
  let outcome: RunOutcome = "failed";
  let aborted = false;
  let error: unknown = null;

  try {
    // Inside the try: whatever fails after the start marker, the end marker is still written.
    await writeRunRecord(ctx.paths, record);
    await input.checkpoints?.takeBefore();
    for (let attempt = 1; ; attempt++) {
      record.attempts = attempt;
      ctx.emit({ type: "run.started", runId, at: isoSeconds(new Date()), attempt, todo: input.todoBefore });
      const a = await runAttempt(ctx, runId, input.prompt, input.marker);
      exitCode = exitCodeOf(a.exit);
      record.exit_code = exitCode;
      record.signal = a.exit.signal;
      mergeSummary(record, a.summary);

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

      if (failure.kind === "fatal" || attempt > maxRetries) break;
      // Keep runs/<id>.json current while waiting (status shows the attempts so far).
      await writeRunRecord(ctx.paths, { ...record, error: failure.message });
      const retried = await waitBeforeRetry(ctx, runId, attempt, maxRetries, failure);
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
  return { record, failure, exitCode, aborted, error, verify };
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

/**
 * Log why and when the next attempt comes, then sleep (rate limits: until the reset time the message
 * gave, shown in state.waiting). Returns false when the loop was aborted meanwhile.
 */
async function waitBeforeRetry(
  ctx: RunContext,
  runId: number,
  attempt: number,
  maxRetries: number,
  failure: AgentFailure,
): Promise<boolean> {
  const backoff = backoffMs(ctx.config.runner.retry_base_seconds, attempt - 1);
  const delayMs =
    failure.kind === "rate_limit" && failure.retryAfterMs !== undefined ? failure.retryAfterMs : backoff;
  const secs = Math.ceil(delayMs / 1000);
  await logCar(
    ctx,
    runId,
    "stderr",
    `[car] retrying (attempt ${attempt + 1}/${maxRetries + 1}) in ${secs}s: ${failure.message}`,
  );
  ctx.emit({ type: "retry", runId, attempt: attempt + 1, delayMs, reason: failure.message });
  const waiting = failure.kind === "rate_limit";
  if (waiting) {
    const w = newWaiting({ since: new Date(), until: new Date(Date.now() + delayMs), message: failure.message });
    await ctx.setState({ waiting: w });
    ctx.emit({ type: "waiting", runId, waiting: w });
  }
  try {
    return await sleepUnlessAborted(delayMs, ctx.signal);
  } finally {
    if (waiting) await ctx.setState({ waiting: null });
  }
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
      clearTimeout(timer);
      clearInterval(pollTimer);
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
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
): Promise<AttemptResult> {
  const { config, backend, writer } = ctx;
  const runner = config.runner;
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
  /** Plain output: a chunk's lines (sanitised by spawn) logged as one block, no string per line. */
  const logText = async (stream: LogStream, text: string) => {
    await writer.block(runId, stream, text);
    emitLines(ctx, runId, stream, text.split("\n"));
  };

  let agent: AgentProcess;
  try {
    agent = await spawnAgent({
      binary: config.codex.binary,
      args: config.codex.args,
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
  const watchdog = setInterval(() => {
    const now = Date.now();
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
  return { exit, cause, summary };
}

/** Fold one attempt's summary into the record; usage adds up over attempts (all of it was spent). */
function mergeSummary(record: RunRecord, s: AgentRunSummary): void {
  if (s.thread_id) record.thread_id = s.thread_id;
  if (s.final_message !== null) record.final_message = s.final_message;
  if (s.usage) record.usage = addUsage(record.usage, s.usage);
  record.commands.push(...s.commands);
  for (const f of s.files_changed) if (!record.files_changed.includes(f)) record.files_changed.push(f);
}

export function addUsage(
  a: TokenUsage | null | undefined,
  b: TokenUsage | null | undefined,
): TokenUsage | null {
  if (!a) return b ? { ...b } : null;
  if (!b) return { ...a };
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
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
