/**
 * Shared set-up for the hub suites: the real built `car hub serve` as a child process, repos under a
 * hub root whose agent is the stand-in recording its lifetime (recording-agent.mjs), and readers for
 * what the agents recorded and which of them are alive.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HUB_STREAM_EVENTS, type HubStreamEventData, type HubStreamEventName } from "@codex-autorunner/core";
import { lockStatus } from "@codex-autorunner/core/node";
import {
  makeTempRepo,
  runCar,
  type SpawnedCar,
  spawnCar,
  standInAgentPath,
  type TempRepoOptions,
  waitFor,
} from "@codex-autorunner/testkit";
import { processesTagged } from "../codex/setup.js";

export const RECORDING_AGENT = join(dirname(fileURLToPath(import.meta.url)), "recording-agent.mjs");

export interface HubRepoDir {
  /** The id the hub gives it: the path under the root with "/" → "~" (core's hub/ids.ts). */
  id: string;
  root: string;
  /** `<root>/.codex-autorunner` */
  dir: string;
}

/**
 * The testkit's temp repo (git, config.yml driving the stand-in agent, TODO) moved to
 * `<hubRoot>/<rel>`, where the hub discovers it.
 */
export function repoUnder(hubRoot: string, rel: string, opts: TempRepoOptions = {}): HubRepoDir {
  const made = makeTempRepo({ prefix: "car-hub-repo-", ...opts });
  const root = join(hubRoot, rel);
  mkdirSync(dirname(root), { recursive: true });
  renameSync(made.root, root); // same file system (both under tmpdir); nothing in .git names the path
  return { id: rel.replaceAll("/", "~"), root, dir: join(root, ".codex-autorunner") };
}

/**
 * An initialised git repo at `<hubRoot>/<name>` with one TODO item, whose agent sleeps `sleepMs`
 * (then ticks the item) and records its PID, start and end in `recordFile`.
 */
export function recordingRepo(
  hubRoot: string,
  name: string,
  opts: { recordFile: string; sleepMs: number },
): HubRepoDir {
  return repoUnder(hubRoot, name, {
    todo: [`the one task of ${name}`],
    config: {
      codex: {
        binary: process.execPath,
        args: [RECORDING_AGENT, opts.recordFile, String(opts.sleepMs), standInAgentPath()],
      },
    },
  });
}

/** One agent's life as recording-agent.mjs wrote it (end null while alive or if it was killed). */
export interface AgentLife {
  pid: number;
  /** The repo it ran in (its cwd). */
  repo: string;
  start: number;
  end: number | null;
}

export function readAgentLives(recordFile: string): AgentLife[] {
  if (!existsSync(recordFile)) return [];
  const lives = new Map<number, AgentLife>();
  for (const line of readFileSync(recordFile, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { pid: number; cwd: string; event: "start" | "end"; t: number };
    const life = lives.get(e.pid) ?? { pid: e.pid, repo: basename(e.cwd), start: e.t, end: null };
    if (e.event === "end") life.end = e.t;
    lives.set(e.pid, life);
  }
  return [...lives.values()].sort((a, b) => a.start - b.start);
}

/**
 * Samples the live agents of `recordFile` every `everyMs`: processes carrying a run marker
 * (CAR_RUN_MARKER, set by core for every agent) whose argv names the record file. `stop()` returns
 * every PID seen and the largest number alive at once, with the PIDs of that moment.
 */
export function sampleAgents(recordFile: string, everyMs = 50) {
  const seen = new Set<number>();
  let samples = 0;
  let most: number[] = [];
  const timer = setInterval(() => {
    const live = processesTagged("CAR_RUN_MARKER=")
      .filter((p) => p.cmd.includes(recordFile))
      .map((p) => p.pid);
    samples++;
    for (const pid of live) seen.add(pid);
    if (live.length > most.length) most = live;
  }, everyMs);
  return {
    /** Idempotent: the counts as of the first call. */
    stop() {
      clearInterval(timer);
      return { seen, samples, maxAlive: most.length, maxAlivePids: most };
    },
  };
}

export interface HubServe {
  url: string;
  token: string;
  car: SpawnedCar;
  /** A JSON request with the token; `body` (when given) is sent as JSON. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/**
 * The built `car hub serve --root ROOT --host 127.0.0.1 --port 0 …args` with its own token: the one
 * in the printed URL (`?token=`), else the one it wrote to `<root>/.car-hub/server-token`.
 */
export async function startHubServe(
  root: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<HubServe> {
  const car = spawnCar(["hub", "serve", "--root", root, "--host", "127.0.0.1", "--port", "0", ...args], {
    cwd: root,
    env: { CAR_AUTH_TOKEN: undefined, ...env },
    timeoutMs: 15 * 60_000,
  });
  const output = () => car.stdout() + car.stderr();
  // Not yet returned, so no caller can stop it: a hub that never gets ready is killed here.
  const url = await (async () => {
    const printed = await waitFor(
      () => {
        if (car.child.exitCode !== null) throw new Error(`car hub serve exited ${car.child.exitCode}`);
        return /(http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
      },
      { timeoutMs: 60_000, what: "car hub serve printing its URL" },
    );
    await waitFor(() => fetch(`${printed}/health`).then((r) => r.ok), {
      timeoutMs: 30_000,
      what: `${printed}/health`,
    });
    return printed;
  })().catch((err: Error) => {
    car.child.kill("SIGKILL");
    throw new Error(`${err.message}\n${output()}`);
  });
  const tokenFile = join(root, ".car-hub", "server-token");
  const token =
    /\?token=([A-Za-z0-9_-]+)/.exec(output())?.[1] ??
    (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "");
  const exited = car.exited;
  return {
    url,
    token,
    car,
    async call(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: the test sees the text
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      if (car.child.exitCode === null && car.child.signalCode === null) {
        car.child.kill("SIGTERM");
        const timer = setTimeout(() => car.child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Ends whatever runner still holds a repo's lock (`car kill`), so no process outlives the suite. */
export async function killLeftRunners(repos: HubRepoDir[]): Promise<void> {
  for (const repo of repos) {
    if ((await lockStatus(join(repo.dir, "lock"))).alive) await runCar(["kill"], { cwd: repo.root });
  }
}

export type HubEvent = {
  [K in HubStreamEventName]: { event: K; id: string | null; data: HubStreamEventData[K] };
}[HubStreamEventName];

/** The complete frames of a `/hub/stream` text, each one's data checked against the contract. */
export function hubEvents(text: string): HubEvent[] {
  const frames = text.split("\n\n").slice(0, -1);
  return frames.flatMap((frame) => {
    let event = "message";
    let id: string | null = null;
    const data: string[] = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("id:")) id = line.slice(3).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length === 0) return [];
    const schema = HUB_STREAM_EVENTS[event as HubStreamEventName];
    if (!schema) throw new Error(`/hub/stream sent an unknown event ${JSON.stringify(event)}`);
    return [{ event, id, data: schema.parse(JSON.parse(data.join("\n"))) } as HubEvent];
  });
}
