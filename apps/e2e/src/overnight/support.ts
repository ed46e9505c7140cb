/**
 * Shared pieces of the overnight suites (issue 13: limit waits, notifications, steering, questions):
 * the real codex against the scripted model in a temp repo (codex/setup.ts), plus readers for what the
 * runner leaves behind and what a notification receiver got.
 */
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NotifyEvent, RunnerState } from "@codex-autorunner/core";
import { type ModelRequest, type Receiver, type ReplyStep, say, waitFor } from "@codex-autorunner/testkit";
import { type CodexRepo, readLog, readState, tickingModel } from "../codex/setup.js";

/** One request per codex attempt (a fresh prompt), in arrival order. */
export function attempts(requests: readonly ModelRequest[]): ModelRequest[] {
  return requests.filter((r) => !r.isFollowUp);
}

/** The prompt's `<STEERING>…</STEERING>` block, or null. */
export function steeringBlock(prompt: string): string | null {
  return /<STEERING>[\s\S]*?<\/STEERING>/.exec(prompt)?.[0] ?? null;
}

/** The final message of a run whose agent cannot go on without a decision. */
function askingReply(question: string): string {
  return `I set up the schema draft but cannot pick the engine myself.\nNEEDS_INPUT: ${question}`;
}

/**
 * The ticking model, except that a prompt without a <STEERING> block gets `question` asked back
 * (NEEDS_INPUT) instead of work: the agent waits for the developer's answer.
 */
export function askUntilAnswered(question: string): (req: ModelRequest) => ReplyStep {
  return (req) => {
    if (!req.isFollowUp && steeringBlock(req.prompt) === null) return say(askingReply(question));
    return tickingModel(req);
  };
}

/** Failure context for an assertion: what car printed (if it ran to the end) and its log. */
export function diag(r: CodexRepo, out?: { stdout: string; stderr: string }): string {
  return `${out?.stdout ?? ""}\n${out?.stderr ?? ""}\n${readLog(r)}`;
}

export function stateOf(repo: CodexRepo): RunnerState {
  return readState(repo) as unknown as RunnerState;
}

/** Waits until state.json satisfies `pred` (a runner's writes are atomic; a missing file is retried). */
export function waitForState(
  repo: CodexRepo,
  pred: (s: RunnerState) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<RunnerState> {
  return waitFor(
    () => {
      const s = stateOf(repo);
      return pred(s) ? s : null;
    },
    { timeoutMs, what },
  );
}

export function hmacSha256Hex(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/** The webhook events a receiver got, parsed, with the headers that came with each. */
export function webhookEvents(
  receiver: Receiver,
): Array<{ event: NotifyEvent; body: string; headers: Receiver["requests"][number]["headers"] }> {
  return receiver.requests
    .filter((r) => r.method === "POST" && r.url === "/hook")
    .map((r) => ({ event: JSON.parse(r.body) as NotifyEvent, body: r.body, headers: r.headers }));
}

/** Every file under `root` (.git and .codex-autorunner included) whose bytes contain `needle`. */
export function filesContaining(root: string, needle: string): string[] {
  const found: string[] = [];
  const bytes = Buffer.from(needle, "utf8");
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(bytes)) found.push(p);
    }
  };
  walk(root);
  return found;
}
