import type { Config } from "../../config/schema.js";
import type { LogStream } from "../../types.js";
import { decideAfterVerify, type VerifyDecision } from "../../verify/gate.js";
import {
  formatVerifyEnd,
  formatVerifyOutput,
  formatVerifyStart,
  formatVerifyVerdict,
} from "../../verify/log.js";
import type { ReopenedItem } from "../../verify/reopen.js";
import { reopenTickedItems } from "../../verify/reopen.js";
import type { VerifyRecord } from "../../verify/result.js";
import { readDocText } from "../doc-text.js";
import { etagOf, writeDoc } from "../docs.js";
import { resolveRepoPath } from "../paths.js";
import { runVerify } from "./run.js";

/**
 * The verification step of a run that exited 0 (the engine calls it inside the run's log block,
 * before the auto-commit): run the gate, log it, decide (verify/gate.ts), and with `on_fail:
 * reopen` untick the TODO items the run ticked. What the agent left is read before the commands run,
 * and the TODO is rewritten only if it is still that (etag check): a user's edit made while they run
 * (a tick in the UI, say) wins, and is logged.
 */

export interface VerifyStepInput {
  root: string;
  config: Pick<Config, "verify" | "docs" | "prompt" | "runner">;
  runId: number;
  /** The TODO's text before the run (what the reopen compares against). */
  todoBefore: string;
  /** Failing verifications in a row before this one (this loop's). */
  failuresBefore: number;
  /** The run's process marker: the commands are processes of the run. */
  marker?: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Log a line of ours in the run's block (and emit it). */
  log: (stream: LogStream, text: string) => Promise<void>;
  /** Lines of the commands' output, marked `[verify <name>]`, in order. */
  logOutput: (stream: LogStream, text: string) => Promise<void>;
  /** state.agent_pid: the running command's group, so `car kill` ends it. */
  setPid: (pid: number | null) => Promise<void>;
}

export interface VerifyStepResult {
  record: VerifyRecord;
  decision: VerifyDecision;
}

export async function verifyAfterRun(input: VerifyStepInput): Promise<VerifyStepResult> {
  const { config } = input;
  const settings = config.verify;
  const graceMs = config.runner.kill_grace_seconds * 1000;
  const agentTodo = settings.on_fail === "reopen" ? await readAgentTodo(input) : null;
  const outcome = await runVerify(input.root, settings, {
    signal: input.signal,
    killGraceMs: graceMs,
    defaultTimeoutSeconds: config.runner.run_timeout_seconds,
    env: input.env,
    lifeline: true,
    ...(input.marker !== undefined ? { runMarker: input.marker } : {}),
    onStart: async (command, info) => {
      const start = formatVerifyStart(command.name, command.run, info.timeoutSeconds);
      await input.log(start.stream, start.text);
      await input.setPid(info.pid);
    },
    onLine: (stream, text, command) => input.logOutput(stream, formatVerifyOutput(command.name, text)),
    onEnd: async (result) => {
      await input.setPid(null);
      const end = formatVerifyEnd(result);
      await input.log(end.stream, end.text);
    },
  });
  const verdict = formatVerifyVerdict(outcome);
  await input.log(verdict.stream, verdict.text);

  const decision = decideAfterVerify(settings, input.failuresBefore, outcome);
  const reopened = decision.reopen && agentTodo ? await reopen(input, agentTodo) : [];
  return { record: { ...outcome, reopened }, decision };
}

/** The TODO as the agent left it (null: deleted by the run), or why it could not be read. */
type AgentTodo = { text: string | null } | { error: Error };

async function readAgentTodo({ root, config }: VerifyStepInput): Promise<AgentTodo> {
  const file = config.docs.todo;
  try {
    const key = { file, key: "docs.todo" };
    return { text: await readDocText(resolveRepoPath(root, file), key, config.prompt.max_doc_bytes) };
  } catch (err) {
    return { error: err as Error };
  }
}

async function reopen(input: VerifyStepInput, agentTodo: AgentTodo): Promise<ReopenedItem[]> {
  const { root, config } = input;
  const file = config.docs.todo;
  if ("error" in agentTodo) {
    await input.log("stderr", `[car] verify: could not reopen TODO items: ${agentTodo.error.message}`);
    return [];
  }
  const after = agentTodo.text;
  if (after === null) return []; // deleted by the run: the loop reports that
  const { text, reopened } = reopenTickedItems(input.todoBefore, after);
  if (reopened.length === 0) return [];
  try {
    await writeDoc(root, config, "todo", text, { ifMatch: etagOf(after) });
  } catch (err) {
    await input.log("stderr", `[car] verify: left ${file} as it is: ${(err as Error).message}`);
    return [];
  }
  const n = reopened.length;
  await input.log(
    "stderr",
    `[car] verify: reopened ${n} item${n === 1 ? "" : "s"} in ${file}: ${reopened.map((r) => r.text).join("; ")}`,
  );
  return reopened;
}
