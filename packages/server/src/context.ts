import type { Config } from "@codex-autorunner/core";
import { type HubStartResult, loadConfig } from "@codex-autorunner/core/node";
import { KeyedMutex } from "./mutex.js";

/** What `createApp` needs. Everything but `root` and `version` has a default. */
export interface AppDeps {
  /** Repository root (the folder holding `.codex-autorunner/`). */
  root: string;
  /** A fixed configuration; when absent, `config.yml` is read per request (edits apply live). */
  config?: Config;
  /** Reported by `GET /health`. */
  version: string;
  /** Folder of the built web UI; `undefined` → `@codex-autorunner/web`'s `webAssetsDir`; `null` → no UI. */
  webRoot?: string | null;
  /** Time source for timestamps in events (tests may pin it). */
  clock?: () => Date;
  /** Interval of SSE heartbeats (`event: ping`), default 15000 ms. */
  sseHeartbeatMs?: number;
  /** A subscriber whose unread SSE data exceeds this is dropped (it reconnects with Last-Event-ID). Default 8 MiB. */
  sseMaxQueuedBytes?: number;
  /**
   * Bearer token required on `/api/*`. `undefined` → env `CAR_AUTH_TOKEN`, else `server.auth_token`
   * (looked up per request), and no auth when neither is set; `null` → no auth. `startServer` resolves
   * it once (generating one when none is configured) and passes it here.
   */
  token?: string | null;
  /** Host header values accepted besides localhost, 127.0.0.1, [::1] and `server.host`. */
  allowedHosts?: string[];
  /** Where refused requests are reported, one line each (default: stderr). Never gets a token. */
  log?: (line: string) => void;
  /** Set by `car hub serve`: run start/resume and the stop of a queued start go through the hub's cap. */
  hub?: RunHook;
}

/** The hub's hold on one repo's runs (its `max_concurrent_runs` queue). */
export interface RunHook {
  /** Starts a runner now or queues the start (LOCK_HELD when one is alive). */
  start(once: boolean, force?: boolean): Promise<HubStartResult>;
  /** Cancels this repo's queued start; false when none was queued. */
  cancelQueued(): Promise<boolean>;
}

/** Shared per-app helpers handed to the route modules. */
export interface AppContext {
  root: string;
  version: string;
  clock: () => Date;
  sseHeartbeatMs: number;
  sseMaxQueuedBytes: number;
  getConfig(): Promise<Config>;
  /** The token in force for this request (null = auth disabled). */
  getToken(): Promise<string | null>;
  /** Signal aborted when the app is disposed (ends SSE streams and chat agents). */
  signal: AbortSignal;
  /** Reports one line (refused requests). */
  log(line: string): void;
  /**
   * Serialises what changes who may hold the runner lock (start, resume, kill, rollback) under the key
   * `RUNNER_KEY`, so two requests of this server cannot race each other for it.
   */
  control: KeyedMutex;
  /** The hub's hook when served by `car hub serve`, else null. */
  hub: RunHook | null;
}

export const RUNNER_KEY = "runner";

export function createContext(deps: AppDeps, signal: AbortSignal): AppContext {
  const getConfig = async (): Promise<Config> => deps.config ?? (await loadConfig(deps.root)).config;
  return {
    root: deps.root,
    version: deps.version,
    clock: deps.clock ?? (() => new Date()),
    sseHeartbeatMs: deps.sseHeartbeatMs ?? 15_000,
    sseMaxQueuedBytes: deps.sseMaxQueuedBytes ?? 8 * 1024 * 1024,
    getConfig,
    async getToken() {
      if (deps.token !== undefined) return deps.token;
      const env = process.env.CAR_AUTH_TOKEN;
      if (env) return env;
      return (await getConfig()).server.auth_token ?? null;
    },
    signal,
    log: deps.log ?? ((line) => console.error(line)),
    control: new KeyedMutex(),
    hub: deps.hub ?? null,
  };
}
