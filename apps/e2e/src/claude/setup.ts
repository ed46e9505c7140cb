/**
 * Shared set-up for the real-Claude-Code suites: what claude's stream-json `result` event should say
 * about the usage the scripted model server served, and a temp repo whose config runs the pinned
 * claude binary against that server, fully offline.
 */
import type { StateBody } from "@codex-autorunner/core";
import {
  type ClaudeHome,
  claudeArgs,
  claudeBinaryPath,
  claudeEnvFor,
  type ModelServer,
  makeClaudeHome,
  makeTempRepo,
  runCar,
  type ServedUsage,
  type TempRepo,
  tickingModel as tickingModelFor,
  waitFor,
} from "@codex-autorunner/testkit";
import { FAST_RUNNER, type RunRecordLike, readRunRecords, sumServed, usageFor } from "../codex/setup.js";

/** ServedUsage → the four counts claude's `result.usage` sums over its API calls. */
export function asClaudeResultUsage(u: ServedUsage) {
  return {
    input_tokens: u.input_tokens,
    cache_read_input_tokens: u.cached_tokens,
    cache_creation_input_tokens: u.cache_creation_tokens ?? 0,
    output_tokens: u.output_tokens,
  };
}

/**
 * ServedUsage → car's TokenUsage for a claude run (docs/decisions.md): input counts all input,
 * cached included, as codex does; cached = cache reads; reasoning = thinking tokens.
 */
export function asClaudeTokenUsage(u: ServedUsage) {
  const input = u.input_tokens + u.cached_tokens + (u.cache_creation_tokens ?? 0);
  return {
    input_tokens: input,
    cached_input_tokens: u.cached_tokens,
    output_tokens: u.output_tokens,
    reasoning_output_tokens: u.reasoning_tokens,
    total_tokens: input + u.output_tokens,
  };
}

export interface ClaudeRepo extends TempRepo {
  home: ClaudeHome;
  env: Record<string, string | undefined>;
}

/** A temp git repo whose config runs claude (`runner.agent: claude`) against `server`. */
export function makeClaudeRepo(
  server: ModelServer,
  opts: {
    todo?: string[] | string;
    runner?: Record<string, unknown>;
    extraConfig?: Record<string, unknown>;
  } = {},
): ClaudeRepo {
  const repo = makeTempRepo({
    prefix: "car-claude-e2e-",
    ...(opts.todo !== undefined ? { todo: opts.todo } : {}),
    config: {
      claude: { binary: claudeBinaryPath(), args: claudeArgs("run"), chat_args: claudeArgs("chat") },
      runner: { ...FAST_RUNNER, agent: "claude", ...opts.runner },
      ...opts.extraConfig,
    },
  });
  const home = makeClaudeHome();
  const env = { ...claudeEnvFor(server, home), CAR_AUTH_TOKEN: undefined, CAR_DEBUG: "1" };
  return {
    ...repo,
    home,
    env,
    cleanup: () => {
      repo.cleanup();
      home.cleanup();
    },
  };
}

/** Distinct, known usage for the n-th request (codex's usageFor plus a cache-creation count). */
export function claudeUsageFor(index: number): ServedUsage {
  return { ...usageFor(index), cache_creation_tokens: 10 + 7 * index };
}

/** The testkit's ticking model with claudeUsageFor's usage per request. */
export const claudeTickingModel = tickingModelFor({ usage: (req) => claudeUsageFor(req.index) });

/** sumServed, keeping the cache-creation count only /v1/messages has. */
export function sumClaudeServed(usages: ServedUsage[]): ServedUsage {
  const cache = usages.reduce((n, u) => n + (u.cache_creation_tokens ?? 0), 0);
  return { ...sumServed(usages), cache_creation_tokens: cache };
}

/** Usage served (by claudeUsageFor) to one claude session: one attempt of one run. */
export function servedForSession(server: ModelServer, sessionId: string | null): ServedUsage {
  return sumClaudeServed(
    server.requests
      .filter((r, i) => r.threadId === sessionId && server.steps[i]?.type === "reply")
      .map((r) => claudeUsageFor(r.index)),
  );
}

/** A run record with the fields issue 15 added (which agent ran it, its cost). */
export interface AgentRunRecordLike extends RunRecordLike {
  agent: "codex" | "claude";
  fallback_from: "codex" | "claude" | null;
  cost_usd: number | null;
  limit_wait_ms: number;
}

export function readAgentRecords(repo: TempRepo): AgentRunRecordLike[] {
  return readRunRecords(repo) as AgentRunRecordLike[];
}

/** `car status --json` of the repo (the StateBody the API serves too). */
export async function statusJson(repo: ClaudeRepo): Promise<StateBody> {
  const r = await runCar(["status", "--json"], { cwd: repo.root, env: repo.env });
  if (r.code !== 0) throw new Error(`car status --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StateBody;
}

/** Polls `car status --json` until `pred` holds; returns that status. */
export function waitForStatus(
  repo: ClaudeRepo,
  pred: (s: StateBody) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<StateBody> {
  return waitFor(
    async () => {
      const s = await statusJson(repo);
      return pred(s) ? s : null;
    },
    { timeoutMs, intervalMs: 0, what },
  );
}
