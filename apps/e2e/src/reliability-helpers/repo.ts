import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stateBodySchema } from "@codex-autorunner/core";
import {
  type CarResult,
  makeTempRepo,
  runCar,
  standInAgentPath,
  type TempRepoOptions,
} from "@codex-autorunner/testkit";

export const HOSTILE_AGENT = fileURLToPath(new URL("./hostile-agent.mjs", import.meta.url));
export const HWM_PRELOAD = fileURLToPath(new URL("./hwm-preload.mjs", import.meta.url));

export interface Repo {
  root: string;
  dir: string;
  /** Folder for the hostile agent's pid/ready/release files (outside .codex-autorunner). */
  side: string;
  file(
    name: "state" | "log" | "lock" | "todo" | "progress" | "opinions" | "config" | "template" | "stop",
  ): string;
  /** Env for `car` so the agent misbehaves as `mode` says. */
  env(mode?: string, extra?: Record<string, string>): Record<string, string>;
  car(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CarResult>;
  cleanup(): void;
}

export interface RepoOptions extends TempRepoOptions {
  /** "hostile" runs hostile-agent.mjs (mode from env), "stand-in" the testkit's agent. */
  agent?: "hostile" | "stand-in";
}

const FILES = {
  state: "state.json",
  log: "codex-autorunner.log",
  lock: "lock",
  todo: "TODO.md",
  progress: "PROGRESS.md",
  opinions: "OPINIONS.md",
  config: "config.yml",
  template: "prompt.txt",
  stop: "stop",
} as const;

/** A temp git repo configured for fast, unattended loops: no sleep, short kill grace. */
export function makeRepo(opts: RepoOptions = {}): Repo {
  const agentScript = (opts.agent ?? "hostile") === "hostile" ? HOSTILE_AGENT : standInAgentPath();
  const t = makeTempRepo({
    prefix: "car-rel-",
    ...opts,
    config: deepMerge(
      {
        codex: { binary: process.execPath, args: [agentScript] },
        runner: { sleep_seconds: 0, kill_grace_seconds: 1, no_progress_runs: 0, max_retries: 0 },
      },
      opts.config ?? {},
    ),
  });
  if (!opts.noGit) {
    // A first commit so auto-commit and `git status` behave like in a real project.
    execFileSync("git", ["add", "-A"], { cwd: t.root, stdio: "pipe" });
    execFileSync("git", ["commit", "-q", "--no-verify", "-m", "initial"], { cwd: t.root, stdio: "pipe" });
  }
  const side = join(t.root, "..", `${t.root.split("/").pop()}-side`);
  mkdirSync(side, { recursive: true });
  const repo: Repo = {
    root: t.root,
    dir: t.dir,
    side,
    file: (name) => join(t.dir, FILES[name]),
    env: (mode, extra) => ({ HOSTILE_DIR: side, ...(mode ? { HOSTILE_MODE: mode } : {}), ...extra }),
    car: (args, o = {}) =>
      runCar([...args, "--repo", t.root], {
        cwd: t.root,
        env: o.env ?? repo.env(),
        timeoutMs: o.timeoutMs ?? 90_000,
      }),
    cleanup: () => {
      t.cleanup();
      execFileSync("rm", ["-rf", side]);
    },
  };
  return repo;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b))
    out[k] = isObj(out[k]) && isObj(v) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** PIDs the hostile agent recorded (agent-<pid>.pid files). */
export function agentPids(repo: Repo): number[] {
  if (!existsSync(repo.side)) return [];
  return readdirSync(repo.side)
    .map((f) => /^agent-(\d+)\.pid$/.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
}

export interface Marker {
  kind: "start" | "end";
  run: number;
  /** End markers: the exit code, or "interrupted". */
  code?: number | "interrupted";
  index: number;
}

const START = /^=== run (\d+) start ===$/;
const END = /^=== run (\d+) end \((?:code (-?\d+)|(interrupted))\) ===$/;
const LINE = /^\[(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\] run=(\d+) (stdout|stderr): (.*)$/;

export interface ParsedLog {
  markers: Marker[];
  /** Agent lines per run id, prefix stripped, in order. */
  lines: Map<number, Array<{ stream: string; text: string }>>;
  /** Lines that are neither markers nor agent lines (must be none). */
  malformed: string[];
  /** Agent lines whose run is not open at that point (written outside their block). */
  outside: string[];
}

/** Parse the whole log (tests only: the product must not do this). */
export function parseLog(text: string): ParsedLog {
  const markers: Marker[] = [];
  const lines = new Map<number, Array<{ stream: string; text: string }>>();
  const malformed: string[] = [];
  const outside: string[] = [];
  const open = new Set<number>();
  const raw = text.split("\n");
  if (raw[raw.length - 1] === "") raw.pop();
  raw.forEach((l, index) => {
    let m = START.exec(l);
    if (m) {
      markers.push({ kind: "start", run: Number(m[1]), index });
      open.add(Number(m[1]));
      return;
    }
    m = END.exec(l);
    if (m) {
      markers.push({ kind: "end", run: Number(m[1]), code: m[3] ? "interrupted" : Number(m[2]), index });
      open.delete(Number(m[1]));
      return;
    }
    m = LINE.exec(l);
    if (m) {
      const run = Number(m[2]);
      if (!open.has(run)) outside.push(l.slice(0, 200));
      const list = lines.get(run) ?? [];
      list.push({ stream: m[3]!, text: m[4]! });
      lines.set(run, list);
      return;
    }
    malformed.push(l.slice(0, 200));
  });
  return { markers, lines, malformed, outside };
}

export function readLog(repo: Repo): ParsedLog {
  return parseLog(existsSync(repo.file("log")) ? readFileSync(repo.file("log"), "utf8") : "");
}

export function endMarker(log: ParsedLog, run: number): Marker | undefined {
  return log.markers.find((m) => m.kind === "end" && m.run === run);
}

export function startMarkers(log: ParsedLog): number[] {
  return log.markers.filter((m) => m.kind === "start").map((m) => m.run);
}

/** `car status --json`, parsed; throws with the output when it is not JSON. */
export async function statusJson(repo: Repo): Promise<Record<string, unknown>> {
  const r = await repo.car(["status", "--json"]);
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(
      `car status --json (exit ${r.code}) printed no JSON: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`,
    );
  }
}

/** Whether `car status --json` says a runner is alive; the report must be the contract's state body. */
export function reportsRunning(status: Record<string, unknown>): boolean {
  return stateBodySchema.parse(status).running;
}

/** A stack trace leaking to users instead of a clear message. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+\(.+:\d+:\d+\)/.test(text) || /\n\s+at (?:file|node):/.test(text);
}

/**
 * Runs `car <args>` and measures its peak RSS two ways: the kernel's VmHWM sampled while it runs, and
 * the exact VmHWM the process writes on exit (hwm-preload.mjs via NODE_OPTIONS). Returns the larger.
 */
export async function carWithPeak(
  repo: Repo,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 240_000,
  /** Extra Node options for the runner, e.g. a heap cap so a runaway allocation fails fast. */
  nodeOptions = "",
): Promise<{ result: CarResult; peakMb: number }> {
  const { spawnCar } = await import("@codex-autorunner/testkit");
  const { sampleMemory } = await import("./proc.js");
  const hwmDir = join(repo.side, "hwm");
  const car = spawnCar([...args, "--repo", repo.root], {
    cwd: repo.root,
    env: { ...env, NODE_OPTIONS: `--import=${HWM_PRELOAD} ${nodeOptions}`.trim(), CAR_HWM_DIR: hwmDir },
    timeoutMs,
  });
  const sampler = sampleMemory(car.pid, 100);
  const result = await car.exited;
  const sampled = sampler.stop();
  const exact = existsSync(join(hwmDir, String(car.pid)))
    ? Number(readFileSync(join(hwmDir, String(car.pid)), "utf8"))
    : 0;
  return { result, peakMb: Math.round(Math.max(sampled.hwmKb, exact) / 102.4) / 10 };
}
