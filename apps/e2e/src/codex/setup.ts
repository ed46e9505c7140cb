/**
 * Shared set-up for the real-Codex suites: a temp git repo whose config runs the pinned codex binary
 * against a scripted model server, fully offline, plus readers for what car leaves on disk.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CodexHome,
  codexArgsFor,
  codexBinaryPath,
  codexEnvFor,
  type ModelServer,
  makeCodexHome,
  makeTempRepo,
  type ServedUsage,
  type SpawnedCar,
  type TempRepo,
  tickingModel as tickingModelFor,
} from "@codex-autorunner/testkit";
import { afterEach } from "vitest";

export interface CodexRepo extends TempRepo {
  home: CodexHome;
  env: Record<string, string | undefined>;
}

/** Runner settings that keep each scenario fast on a loaded 2-core machine. */
export const FAST_RUNNER = {
  sleep_seconds: 0,
  retry_base_seconds: 0.2,
  max_retries: 2,
  kill_grace_seconds: 1,
};

export function makeCodexRepo(
  server: ModelServer,
  opts: {
    todo?: string[] | string;
    runner?: Record<string, unknown>;
    extraConfig?: Record<string, unknown>;
  } = {},
): CodexRepo {
  const repo = makeTempRepo({
    prefix: "car-codex-e2e-",
    ...(opts.todo !== undefined ? { todo: opts.todo } : {}),
    config: {
      codex: { binary: codexBinaryPath(), args: codexArgsFor(server) },
      chat: { args: codexArgsFor(server, { sandbox: "read-only" }) },
      runner: { ...FAST_RUNNER, ...opts.runner },
      ...opts.extraConfig,
    },
  });
  const home = makeCodexHome();
  const env = { ...codexEnvFor(home), CAR_AUTH_TOKEN: undefined, CAR_DEBUG: "1" };
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

/** What a test started and the afterEach of trackForCleanup ends; a test sets each slot as it starts it. */
export interface Tracked {
  server: ModelServer | null;
  repo: CodexRepo | null;
  car: SpawnedCar | null;
}

/**
 * Registers (once, at a test file's top level) an afterEach that stops a still-running car with
 * `carSignal`, runs `afterCar`, closes the model server and removes the repo; then empties the slots.
 */
export function trackForCleanup(opts: { carSignal?: NodeJS.Signals; afterCar?: () => void } = {}): Tracked {
  const tracked: Tracked = { server: null, repo: null, car: null };
  afterEach(async () => {
    const car = tracked.car;
    if (car && car.child.exitCode === null && car.child.signalCode === null) {
      car.child.kill(opts.carSignal ?? "SIGTERM");
      await car.exited.catch(() => {});
    }
    tracked.car = null;
    opts.afterCar?.();
    await tracked.server?.close();
    tracked.server = null;
    tracked.repo?.cleanup();
    tracked.repo = null;
  });
  return tracked;
}

/** Distinct, known usage for the n-th request, so sums can be checked exactly. */
export function usageFor(index: number): ServedUsage {
  return {
    input_tokens: 1000 + 37 * index,
    cached_tokens: 100 + index,
    output_tokens: 40 + 3 * index,
    reasoning_tokens: index % 5,
  };
}

/** The testkit's ticking model with distinct, known usage per request. */
export const tickingModel = tickingModelFor({ usage: (req) => usageFor(req.index) });

export function sumServed(usages: ServedUsage[]): ServedUsage {
  return usages.reduce(
    (a, u) => ({
      input_tokens: a.input_tokens + u.input_tokens,
      cached_tokens: a.cached_tokens + u.cached_tokens,
      output_tokens: a.output_tokens + u.output_tokens,
      reasoning_tokens: a.reasoning_tokens + u.reasoning_tokens,
    }),
    { input_tokens: 0, cached_tokens: 0, output_tokens: 0, reasoning_tokens: 0 },
  );
}

/** ServedUsage (Responses API) → car's TokenUsage as codex reports it. */
export function asTokenUsage(u: ServedUsage) {
  return {
    input_tokens: u.input_tokens,
    cached_input_tokens: u.cached_tokens,
    output_tokens: u.output_tokens,
    reasoning_output_tokens: u.reasoning_tokens,
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

/** Usage served for the requests of one codex thread (one attempt of one run). */
export function servedForThread(server: ModelServer, threadId: string | null): ServedUsage {
  const used: ServedUsage[] = [];
  server.requests.forEach((r, i) => {
    const step = server.steps[i];
    if (r.threadId === threadId && step?.type === "reply") used.push(usageFor(r.index));
  });
  return sumServed(used);
}

export interface RunRecordLike {
  id: number;
  outcome: string | null;
  attempts: number;
  backend: string;
  thread_id: string | null;
  final_message: string | null;
  usage: Record<string, number> | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  files_changed: string[];
  error: string | null;
  exit_code: number | null;
}

export function readRunRecords(repo: TempRepo): RunRecordLike[] {
  const dir = join(repo.dir, "runs");
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names
    .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as RunRecordLike)
    .sort((a, b) => a.id - b.id);
}

export function readLog(repo: TempRepo): string {
  try {
    return readFileSync(join(repo.dir, "codex-autorunner.log"), "utf8");
  } catch {
    return "";
  }
}

export function readState(repo: TempRepo): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repo.dir, "state.json"), "utf8")) as Record<string, unknown>;
}

/** PIDs of live processes whose environment carries `tag` (car, codex and everything codex ran). */
export function processesTagged(tag: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, "utf8");
      if (!environ.includes(tag)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Zombies are already dead; their parent just has not reaped them yet.
      if (/^\d+ \(.*\) Z /.test(stat)) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(name), cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
