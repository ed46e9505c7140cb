import { existsSync, promises as fsp } from "node:fs";
import { basename, relative, resolve } from "node:path";
import type { AgentName } from "../../agents/names.js";
import type { Config } from "../../config/schema.js";
import { CarError } from "../../errors.js";
import { newWaiting, remainingWait } from "../../limits/waiting.js";
import { NotifyTracker } from "../../notify/from-engine.js";
import { buildPrompt, type PromptExtra } from "../../prompt/template.js";
import { addUsage } from "../../runs/record.js";
import { markFinished, markRunnerExited, markRunning, markWaiting } from "../../state/transitions.js";
import { renderSteering } from "../../steer/prompt.js";
import { countTodo } from "../../todo/parse.js";
import type { EngineEvent, LastVerify, LoopStopReason, RunnerState, TokenUsage } from "../../types.js";
import { isVerifiedDone } from "../../verify/gate.js";
import { verifyFailureForPrompt } from "../../verify/prompt.js";
import { verifyEnabled } from "../../verify/settings.js";
import { agentDefinition } from "../agent/agents.js";
import type { AgentBackend } from "../agent/backend.js";
import { RunCheckpoints } from "../checkpoint/around-run.js";
import { loadConfig } from "../config-io.js";
import { endLockHolder } from "../control.js";
import { readDocText } from "../doc-text.js";
import { readTextIfExists } from "../fs/atomic.js";
import { workTreeFingerprint } from "../git.js";
import { clearQueuedStart } from "../hub/queued.js";
import { acquireLock, releaseLock, releaseLockSync } from "../lock.js";
import { LogReader } from "../log/reader.js";
import { LogWriter } from "../log/writer.js";
import { createNotifier } from "../notify/notifier.js";
import { type CarPaths, carPaths, resolveRepoPath } from "../paths.js";
import { newRunMarker } from "../proc/marker.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";
import { readState, writeState } from "../state-store.js";
import { claimSteer, confirmSteer, recoverSteer, releaseSteer } from "../steer/delivery.js";
import { waitForSteer } from "../steer/wait.js";
import { watchOwnership } from "./ownership.js";
import { recoverCrashedRun } from "./recover.js";
import { logCar, type RunContext, runOne, sleepUnlessAborted } from "./run-one.js";

/**
 * The loop: check stop conditions → build the prompt → state running → one run (run-one.ts) → state
 * idle/error → sleep (interruptible) → next. It holds the lock for its whole life, recovers a run a
 * crashed runner left open, and on every way out (normal stop, agent failure, abort, a thrown
 * error) leaves state.json not running, every started run closed in the log and in runs/, and the
 * lock released.
 */

export interface LoopOptions {
  root: string;
  /** One run at most (`car once`). */
  once?: boolean;
  /** Take over a lock held by a live runner: that runner and its run's processes are ended first. */
  force?: boolean;
  /** Abort = stop now: every process of the run gets SIGTERM, grace, SIGKILL; reason "aborted". */
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
  /** Environment of the agent (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides `runner.stop_after_runs` (null = no limit). */
  stopAfterRuns?: number | null;
  /** Overrides the backend each agent's args select (tools and tests): one for all, or one per agent. */
  backend?: AgentBackend | ((agent: AgentName) => AgentBackend);
}

export interface LoopResult {
  reason: LoopStopReason;
  /** Runs started by this invocation. */
  runs: number;
  lastRunId: number | null;
  lastExitCode: number | null;
  detail?: string;
}

export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const root = resolve(options.root);
  const { config } = await loadConfig(root);
  const paths = carPaths(root, config);
  const lock = await acquireLock(paths.lock, {
    force: options.force,
    takeOver: (holder) => endLockHolder(root, holder, config.runner.kill_grace_seconds * 1000),
  });
  const lockedAt = Date.now();
  // A hub's queued start for this repo is satisfied by any runner (a terminal `car run` too).
  await clearQueuedStart(paths).catch(() => {});
  // From here on, nothing is written unless the lock is still ours (see ownership.ts).
  const ownership = watchOwnership(lock, root);
  // A process that exits without unwinding (process.exit in a handler) must not leave our lock behind.
  const onExit = () => releaseLockSync(lock);
  process.on("exit", onExit);

  const env = options.env ?? process.env;
  let state: RunnerState | null = null;
  // One write at a time, in call order: the engine, the quiet tick and notification failures all
  // write state.json, and the last call must be what the file says.
  let writes: Promise<void> = Promise.resolve();
  const setState = (next: RunnerState): Promise<void> => {
    // A rejection, never a throw: callers that do not await (the quiet tick, notify failures) only
    // .catch() the promise, and a throw from a timer callback would crash the runner.
    try {
      ownership.assert();
    } catch (err) {
      return Promise.reject(err);
    }
    state = next;
    const write = writes.then(async () => {
      try {
        await writeState(paths, next);
      } catch (err) {
        // The agent (or a user) removed .codex-autorunner/ mid-run: recreate the folder, keep the truth.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        await fsp.mkdir(paths.dir, { recursive: true });
        await writeState(paths, next);
      }
      emit({ type: "state", state: next });
    });
    writes = write.catch(() => {});
    return write;
  };

  let writer: LogWriter | null = null;
  // Notifications: sent in the background from the engine's own events; a failed delivery is logged
  // (inside the open run's block, else as a note) and kept in state.json, never more.
  let openRun: number | null = null;
  let notifying = true;
  const notifyLogs = new Set<Promise<unknown>>();
  const onNotifyFailure = (label: string, error: string, event: string) => {
    if (!notifying || ownership.signal.aborted) return;
    const text = `[car] notify ${label}: ${error}`;
    const w = writer;
    const writes: Array<Promise<unknown>> = [];
    if (w) writes.push(openRun !== null ? w.line(openRun, "stderr", text) : w.note(text.slice(6)));
    if (state !== null) {
      const at = new Date().toISOString();
      writes.push(setState({ ...state, notify_error: { target: label, event, error, at } }));
    }
    const done = Promise.allSettled(writes).finally(() => notifyLogs.delete(done));
    notifyLogs.add(done);
  };
  const { notifier, problems: notifyProblems } = createNotifier(config.notify.targets, {
    env,
    onFailure: onNotifyFailure,
  });
  const tracker = new NotifyTracker({ name: basename(root), path: root });

  const listener = options.onEvent;
  const emit = (event: EngineEvent) => {
    if (event.type === "run.started") openRun = event.runId;
    else if (event.type === "run.ended") openRun = null;
    for (const n of tracker.events(event)) notifier.send(n);
    if (!listener) return;
    try {
      listener(event);
    } catch {
      // A subscriber's bug must not break the run.
    }
  };
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, ownership.signal]);

  try {
    writer = await LogWriter.open(paths.log, paths.logIndex);
    const reader = new LogReader(paths.log, paths.logIndex);
    state = await recoverCrashedRun({ paths, writer, reader, state: await readState(paths), emit });
    // Messages a dead runner had claimed: delivered if its run finished, else pending again.
    await recoverSteer(paths.steerDir, async (runId) => {
      const rec = await readRunRecord(paths, runId).catch(() => null);
      return rec?.outcome === "completed";
    });
    // `car stop` only writes the file while a runner is alive, so one older than our lock was meant
    // for a runner that died before it saw it; honouring it would stop this run for no reason.
    await removeStaleStopFile(paths, lockedAt);
    // A limit wait a killed runner left stays: the loop honours what is left of it first.
    await setState({ ...state, runner_pid: process.pid, agent_pid: null, quiet: null });
    for (const p of notifyProblems) await writer.note(`notify ${p.label}: ${p.error.message}`);

    const result = await loop({
      root,
      paths,
      config,
      options,
      writer: ownership.guard(writer),
      reader,
      signal,
      emit,
      getState: () => state as RunnerState,
      setState,
      assertOwner: ownership.assert,
    });
    const final = state as RunnerState;
    await setState(markRunnerExited(final));
    emit({
      type: "loop.stopped",
      reason: result.reason,
      ...(result.detail ? { detail: result.detail } : {}),
    });
    return result;
  } catch (err) {
    // State must not claim a live runner after we are gone; keep what is known, mark the error.
    const detail = err instanceof Error ? err.message : String(err);
    if (state !== null) {
      const s = state as RunnerState;
      await setState(markRunnerExited(s, { status: "error", reason: detail })).catch(() => {});
    }
    emit({ type: "loop.stopped", reason: "error", detail });
    throw err;
  } finally {
    // Pending notifications get a few seconds (a receiver that never answers must not hold us);
    // what is abandoned then is still logged as failed.
    await notifier.flush(NOTIFY_FLUSH_MS).catch(() => {});
    notifier.close();
    await notifier.flush(NOTIFY_ABANDON_MS).catch(() => {});
    notifying = false;
    await Promise.allSettled([...notifyLogs]);
    await writes;
    ownership.stop();
    await writer?.close().catch(() => {});
    // A stop request that arrived while we were finishing for another reason is answered by exiting
    // (unless the lock was taken over: then it is the new runner's).
    if (!ownership.signal.aborted) await fsp.rm(paths.stop, { force: true }).catch(() => {});
    await releaseLock(lock).catch(() => {});
    process.off("exit", onExit);
  }
}

/** How long an exiting runner waits for notifications still being delivered. */
const NOTIFY_FLUSH_MS = 3_000;
/** …and for the abandoned ones to report their failure (an abort settles at once). */
const NOTIFY_ABANDON_MS = 500;

interface LoopContext {
  root: string;
  paths: CarPaths;
  config: Config;
  options: LoopOptions;
  writer: LogWriter;
  reader: LogReader;
  signal: AbortSignal;
  emit: (event: EngineEvent) => void;
  getState: () => RunnerState;
  setState: (next: RunnerState) => Promise<void>;
  /** Throws LOCK_HELD once another runner took the lock over. */
  assertOwner: () => void;
}

async function loop(ctx: LoopContext): Promise<LoopResult> {
  const { config, paths, options, signal } = ctx;
  const runner = config.runner;
  const limit = options.once
    ? 1
    : options.stopAfterRuns !== undefined
      ? options.stopAfterRuns
      : runner.stop_after_runs;
  const startedAt = Date.now();
  const override = options.backend;
  const runCtx: RunContext = {
    root: ctx.root,
    paths,
    config,
    backendFor: (agent, args) =>
      override === undefined
        ? agentDefinition(agent).backend(args)
        : typeof override === "function"
          ? override(agent)
          : override,
    getState: ctx.getState,
    writer: ctx.writer,
    env: options.env ?? process.env,
    signal,
    emit: ctx.emit,
    setState: (patch) => ctx.setState({ ...ctx.getState(), ...patch }),
  };

  let runs = 0;
  let lastRunId: number | null = null;
  let lastExitCode: number | null = null;
  let tokens: TokenUsage | null = null;
  let noProgress = 0;
  // Counted per invocation: a loop started again (after verify_failed) gets its full allowance.
  let verifyFailures = 0;
  const verifyOn = verifyEnabled(config.verify);
  /** The verdict "done" waits for; null when none counts (no commands configured, none ran yet). */
  const lastVerify = (): LastVerify | null => (verifyOn ? (ctx.getState().last_verify ?? null) : null);
  const isDone = (outstanding: number) => isVerifiedDone(outstanding, config.verify.on_fail, lastVerify());
  const done = (reason: LoopStopReason, detail?: string): LoopResult => ({
    reason,
    runs,
    lastRunId,
    lastExitCode,
    ...(detail !== undefined ? { detail } : {}),
  });

  await honourLimitWait(ctx);

  for (;;) {
    ctx.assertOwner();
    // Stop conditions, cheapest and most explicit first.
    if (signal.aborted) return done("aborted", abortDetail(signal));
    if (await consumeStopFile(paths)) return done("stop_requested");
    if (limit !== null && runs >= limit) return done("run_limit");
    if (
      runner.max_wallclock_seconds !== null &&
      Date.now() - startedAt >= runner.max_wallclock_seconds * 1000
    ) {
      return done("wallclock", `after ${runner.max_wallclock_seconds}s`);
    }
    if (
      runner.max_total_tokens !== null &&
      tokens !== null &&
      tokens.total_tokens >= runner.max_total_tokens
    ) {
      return done("token_budget", `${tokens.total_tokens} of ${runner.max_total_tokens} tokens used`);
    }
    const docs = await readPromptDocs(ctx.root, config);
    const todoBefore = countTodo(docs.todo.content);
    // Nothing outstanding is done only once the last verification passed: after a failure with
    // on_fail stop, the next run gets the failure to fix even though every item is ticked.
    if (isDone(todoBefore.outstanding)) return done("todo_done");

    const prev = ctx.getState().last_run_id;
    const runId = Math.max(prev ?? 0, (await ctx.reader.lastRunId()) ?? 0) + 1;
    // Steering messages are claimed for this run; they go back to pending unless it completes.
    const steering = await claimSteer(paths.steerDir, runId);
    let prompt: string;
    try {
      prompt = buildPrompt({
        template: await readTextIfExists(paths.template),
        templateFile: relative(ctx.root, paths.template),
        ...docs,
        prevRunOutput: prev === null ? "" : await previousOutput(ctx, prev),
        verify: await previousVerifyFailure(ctx, lastVerify()),
        steering: renderSteering(steering),
      });
    } catch (err) {
      await releaseSteer(paths.steerDir, runId).catch(() => {});
      throw err;
    }
    const checkpoints = await RunCheckpoints.open(ctx.root, runId, config.git.checkpoints, (text) =>
      logCar(runCtx, runId, "stderr", text),
    );
    // With checkpoints the before/after comparison answers "did the tree change" for free.
    const fingerprintBefore = runner.no_progress_runs && !checkpoints ? await fingerprint(ctx.root) : null;

    // The marker is in state.json before the agent starts: whoever cleans up after us finds its processes.
    const marker = newRunMarker();
    await ctx.setState(markRunning(ctx.getState(), { runId, runnerPid: process.pid, agentMarker: marker }));
    runs++;
    lastRunId = runId;
    const result = await runOne(runCtx, {
      runId,
      prompt,
      todoBefore,
      marker,
      todoText: docs.todo.content,
      verifyFailuresBefore: verifyFailures,
      checkpoints,
    });
    const { record } = result;
    const verify = result.verify;
    if (verify) verifyFailures = verify.consecutive_failures;
    lastExitCode = result.exitCode;

    // TODO after the run: the agent may have deleted it; that is recorded, and stops the loop below.
    // A TODO the agent made unreadable (binary, too large) must not count as "all done": keep the
    // error and raise it once the run is recorded.
    let todoAfterError: unknown = null;
    const todoAfterText = await readTodoDoc(ctx.root, config).catch((err: unknown) => {
      todoAfterError = err;
      return null;
    });
    record.todo_after = todoAfterText === null ? null : countTodo(todoAfterText);
    if (steering.length > 0) {
      if (record.outcome === "completed") {
        record.steering = (await confirmSteer(paths.steerDir, runId)).map((m) => m.id);
      } else {
        await releaseSteer(paths.steerDir, runId);
      }
    }
    if (record.usage) {
      tokens = addUsage(tokens, record.usage);
    }
    await writeRunRecord(paths, record);
    ctx.emit({ type: "run.ended", runId, at: record.finished_at ?? new Date().toISOString(), record });

    const failed = record.outcome !== "completed";
    // An auto-commit that failed stops the loop: the next run would build on uncommitted work.
    const commitError = !failed && record.commit?.ok === false ? record.commit.message : null;
    const verifyStop = verify?.stop ?? null;
    // Aborted while its verification ran: the agent completed, the run did not (no verdict, no commit).
    const reason = result.aborted
      ? abortReason(signal)
      : result.stopped
        ? null
        : failed
          ? (result.failure?.message ?? `agent exited ${result.exitCode}`)
          : (commitError ?? verifyStop?.detail ?? null);
    const prevTotal = ctx.getState().tokens_total ?? null;
    const finished = markFinished(ctx.getState(), {
      exitCode: result.exitCode ?? 1,
      reason,
      status: reason !== null ? "error" : "idle",
    });
    const at = finished.last_run_finished_at ?? record.finished_at ?? new Date().toISOString();
    // A run the agent completed but no verification judged (aborted, or the gate itself failed) is
    // not verified: "done" must not follow from its ticks.
    const unverified = verifyOn && record.outcome === "completed" && !verify;
    await ctx.setState({
      ...finished,
      tokens_total: record.usage ? addUsage(prevTotal, record.usage) : prevTotal,
      ...(record.cost_usd !== null
        ? { cost_total_usd: (ctx.getState().cost_total_usd ?? 0) + record.cost_usd }
        : {}),
      ...(verify && record.verify
        ? {
            last_verify: {
              run_id: runId,
              passed: record.verify.passed,
              failed_command: record.verify.failed_command,
              consecutive_failures: verify.consecutive_failures,
              at,
            },
          }
        : unverified
          ? {
              last_verify: {
                run_id: runId,
                passed: false,
                failed_command: null,
                consecutive_failures: verifyFailures,
                at,
              },
            }
          : {}),
    });

    if (!existsSync(paths.log)) {
      throw new CarError(
        "IO_ERROR",
        `${relative(ctx.root, paths.log)} was removed during run ${runId} (was .codex-autorunner/ deleted?); ` +
          `state.json and runs/${runId}.json were rewritten but that run's log lines are lost. ` +
          "Check the folder (`car doctor`) before running again.",
        { file: relative(ctx.root, paths.log), run_id: runId },
      );
    }
    if (result.error) throw result.error;
    if (todoAfterError !== null) throw todoAfterError;
    if (result.aborted) return done("aborted", abortDetail(signal));
    if (result.stopped) return done("stop_requested", "during a usage-limit wait");
    if (result.limitExhausted !== null) return done("limit_wait_exhausted", result.limitExhausted);
    if (failed) return done("agent_failed", reason ?? undefined);
    // git's own words are in the run's log block (and on screen): the detail only says where to look.
    if (commitError !== null) {
      return done(
        "commit_failed",
        `run ${runId}'s changes are not committed; see \`car log --run ${runId}\``,
      );
    }
    if (verifyStop) return done(verifyStop.reason, verifyStop.detail);
    if (todoAfterText === null) {
      throw new CarError(
        "DOC_MISSING",
        `${relative(ctx.root, paths.todo)} was removed during run ${runId}; restore it (git checkout) or run \`car init\` to write a starter.`,
        {
          file: relative(ctx.root, paths.todo),
          path: paths.todo,
        },
      );
    }

    const question = record.needs_input;
    if (question === null && runner.no_progress_runs) {
      const treeUnchanged = checkpoints
        ? checkpoints.unchanged() === true
        : (await fingerprint(ctx.root)) === fingerprintBefore;
      const changed = todoAfterText !== docs.todo.content || !treeUnchanged;
      noProgress = changed ? 0 : noProgress + 1;
      if (noProgress >= runner.no_progress_runs) {
        const detail = `${noProgress} runs in a row changed neither the TODO nor the work tree`;
        // Logged, not emitted: a live view prints the stop detail once, in its summary.
        await ctx.writer.line(runId, "stderr", `[car] no progress: ${detail}`).catch(() => {});
        await ctx.setState({ ...ctx.getState(), status: "error", reason: "no progress" });
        return done("no_progress", detail);
      }
    }

    if (
      runner.max_total_tokens !== null &&
      tokens !== null &&
      tokens.total_tokens >= runner.max_total_tokens
    ) {
      return done("token_budget", `${tokens.total_tokens} of ${runner.max_total_tokens} tokens used`);
    }
    if (limit !== null && runs >= limit) {
      if (question === null) return done("run_limit");
      // No run may follow to take an answer: say the loop ended on the question, not quietly.
      await ctx.writer.note(
        `run ${runId} asks: ${question} (answer with \`car steer "…"\`, then \`car run\`)`,
      );
      return done("needs_input", `the agent asks: ${question}`);
    }
    // The agent asked: no new run until the developer answers (or the wait runs out).
    if (question !== null) {
      const answered = await waitForAnswer(ctx, runId, question);
      if (answered === "timeout") {
        return done("needs_input", `no answer within ${runner.input_wait_seconds}s to: ${question}`);
      }
      continue; // answered: the next run gets it; stopped or aborted: the top of the loop says so
    }
    if (record.todo_after && isDone(record.todo_after.outstanding)) return done("todo_done");

    // Sleep, cut short by an abort or a stop request (the stop file is consumed at the top).
    if (runner.sleep_seconds > 0) {
      // existsSync every 200 ms: cheap, and keeps the sleep's wake-up logic in one place.
      await sleepUnlessAborted(runner.sleep_seconds * 1000, signal, () => existsSync(paths.stop));
    }
  }
}

/**
 * A usage-limit wait a killed runner left in state.json: sit out what is left of it before calling
 * the agent (status "waiting"), unless a stop or abort comes first (then it stays for next time).
 */
async function honourLimitWait(ctx: LoopContext): Promise<void> {
  const pending = ctx.getState().waiting ?? null;
  if (pending === null) return;
  const left = pending.reason === "rate_limit" ? remainingWait(pending, new Date()) : 0;
  if (left > 0) {
    await ctx.setState(markWaiting(ctx.getState(), pending, false));
    ctx.emit({ type: "waiting", runId: null, waiting: pending });
    await ctx.writer.note(
      `usage-limit wait of the previous runner: ${Math.ceil(left / 1000)}s left (until ${pending.until})`,
    );
    const slept = await sleepUnlessAborted(left, ctx.signal, () => existsSync(ctx.paths.stop));
    if (!slept) {
      await ctx.setState({ ...ctx.getState(), status: "idle" });
      return;
    }
    ctx.emit({ type: "resumed", runId: null, reason: "rate_limit" });
  }
  await ctx.setState(markWaiting(ctx.getState(), null, false));
}

/**
 * The run ended with `NEEDS_INPUT: <question>`: status waiting_input with the question until a
 * steering message arrives ("answered"), `car stop` or an abort ("stopped"), or
 * runner.input_wait_seconds pass ("timeout").
 */
async function waitForAnswer(
  ctx: LoopContext,
  runId: number,
  question: string,
): Promise<"answered" | "stopped" | "timeout"> {
  const timeoutMs = ctx.config.runner.input_wait_seconds * 1000;
  const since = new Date();
  const waiting = newWaiting({
    reason: "needs_input",
    since,
    until: new Date(since.getTime() + timeoutMs),
    message: question,
  });
  await ctx.setState(markWaiting(ctx.getState(), waiting, false));
  ctx.emit({ type: "waiting", runId, waiting });
  await ctx.writer.note(`run ${runId} asks: ${question} (answer with \`car steer "…"\`)`);
  // `car stop` writes a file: watched here so it ends the wait at once.
  const stop = new AbortController();
  const poll = setInterval(() => {
    if (existsSync(ctx.paths.stop)) stop.abort();
  }, 200);
  let result: Awaited<ReturnType<typeof waitForSteer>>;
  try {
    result = await waitForSteer(ctx.paths.steerDir, {
      signal: AbortSignal.any([ctx.signal, stop.signal]),
      timeoutMs,
      pollMs: 1000,
    });
  } finally {
    clearInterval(poll);
  }
  if (result === "message") {
    await ctx.setState(markWaiting(ctx.getState(), null, false));
    ctx.emit({ type: "resumed", runId, reason: "needs_input" });
    return "answered";
  }
  await ctx.setState({
    ...markWaiting(ctx.getState(), null, false),
    ...(result === "timeout"
      ? { status: "error" as const, reason: "the agent's question went unanswered" }
      : {}),
  });
  return result === "timeout" ? "timeout" : "stopped";
}

/** "killed by SIGTERM" as the stop's detail when the runner was signalled, else none. */
function abortDetail(signal: AbortSignal): string | undefined {
  const r = abortReason(signal);
  return r === "aborted" ? undefined : r;
}

/** "killed by SIGTERM" when the runner process was signalled (runner-main aborts with the signal name). */
function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === "string" && r.startsWith("SIG") ? `killed by ${r}` : "aborted";
}

async function removeStaleStopFile(paths: CarPaths, lockedAt: number): Promise<void> {
  const st = await fsp.stat(paths.stop).catch(() => null);
  if (st && st.mtimeMs < lockedAt - 1_000) await fsp.rm(paths.stop, { force: true });
}

async function consumeStopFile(paths: CarPaths): Promise<boolean> {
  try {
    await fsp.rm(paths.stop);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** TODO (required), PROGRESS and OPINIONS (empty when missing: the agent may create them), extras. */
async function readPromptDocs(root: string, config: Config) {
  const doc = async (p: string, required: boolean, key: string) => {
    const abs = resolveRepoPath(root, p);
    const content = await readDocText(abs, { file: p, key }, config.prompt.max_doc_bytes);
    if (content === null && required) {
      throw new CarError(
        "DOC_MISSING",
        `The TODO file ${p} does not exist; create it (\`car init\` writes a starter) or fix \`docs.todo\` in .codex-autorunner/config.yml.`,
        { file: p, path: abs, key: "docs.todo" },
      );
    }
    return { path: p, content: content ?? "" };
  };
  const [todo, progress, opinions] = await Promise.all([
    doc(config.docs.todo, true, "docs.todo"),
    doc(config.docs.progress, false, "docs.progress"),
    doc(config.docs.opinions, false, "docs.opinions"),
  ]);
  const extras: PromptExtra[] = [];
  for (const x of config.docs.extras) {
    if (!x.include_in_prompt) continue;
    const key = `docs.extras[${config.docs.extras.indexOf(x)}].path`;
    extras.push({ name: x.name, include_in_prompt: true, ...(await doc(x.path, false, key)) });
  }
  return { todo, progress, opinions, extras };
}

function readTodoDoc(root: string, config: Config): Promise<string | null> {
  const p = config.docs.todo;
  return readDocText(resolveRepoPath(root, p), { file: p, key: "docs.todo" }, config.prompt.max_doc_bytes);
}

/** The previous run's final message when the backend knew it (codex --json), else its logged output. */
async function previousOutput(ctx: LoopContext, prevId: number): Promise<string> {
  const max = ctx.config.prompt.prev_run_max_chars;
  const rec = await readRunRecord(ctx.paths, prevId).catch(() => null);
  if (rec?.final_message) {
    const m = rec.final_message;
    return m.length > max ? m.slice(m.length - max) : m;
  }
  return ctx.reader.prevRunOutput(prevId, max);
}

/** The failure the next prompt must carry: the last verification's, read from its run record. */
async function previousVerifyFailure(ctx: LoopContext, last: LastVerify | null) {
  if (!last || last.passed) return null;
  const rec = await readRunRecord(ctx.paths, last.run_id).catch(() => null);
  return verifyFailureForPrompt(rec?.verify, ctx.config.verify.on_fail, last.run_id);
}

async function fingerprint(root: string): Promise<string | null> {
  try {
    return await workTreeFingerprint(root);
  } catch {
    return null; // not comparable: treated as "changed" only if the other side differs
  }
}
