import { CarError } from "@codex-autorunner/core";
import {
  ensureHubDir,
  type HubRegistryApi,
  hubPaths,
  openHub,
  readHubManifest,
} from "@codex-autorunner/core/node";
import {
  checkPort,
  hostsFor,
  type RunningServer,
  resolveServerToken,
  serveApp,
  serverVersion,
} from "../start.js";
import { createHubApp } from "./app.js";

export interface StartHubServerOptions {
  /** The hub's root (holding `hub.yml`, optional, and the repos). */
  root: string;
  /** Default: hub.yml's `server.host` (127.0.0.1). */
  host?: string;
  /** Default: hub.yml's `server.port` (4180); 0 picks a free port. */
  port?: number;
  /** Overrides hub.yml's `max_concurrent_runs` (null: no cap); default: hub.yml's, followed live. */
  maxConcurrentRuns?: number | null;
  /**
   * `undefined`: env `CAR_AUTH_TOKEN`, else hub.yml's `server.auth_token`, else a token generated into
   * `<root>/.car-hub/server-token` (loopback only). A string: that token. `null`: no auth (loopback only).
   */
  token?: string | null;
  log?: (line: string) => void;
  /** Default: `@codex-autorunner/web`'s built assets; null serves no UI. */
  webRoot?: string | null;
  sseHeartbeatMs?: number;
  sseMaxQueuedBytes?: number;
}

export interface RunningHubServer extends RunningServer {
  /** The live registry (closed with the server). */
  registry: HubRegistryApi;
  /** Open SSE streams (hub and repos), whether a repo app holds its log watchers, repo apps created. */
  stats(): { sseSubscribers: number; sharedWatchersActive: boolean; repoApps: number };
}

/**
 * `car hub serve`: one server for every repo of the hub. Same token rules as `car serve`, with hub.yml
 * in config.yml's place and the generated token under `<root>/.car-hub/`. Closing it stops the hub's
 * watchers and every repo's streams; runners (and queued starts, on disk) are left alone.
 */
export async function startHubServer(options: StartHubServerOptions): Promise<RunningHubServer> {
  const paths = hubPaths(options.root);
  const { manifest } = await readHubManifest(paths);
  const host = options.host ?? manifest.server.host;
  const port = options.port ?? manifest.server.port;
  checkPort(port, "server.port");
  const cap = options.maxConcurrentRuns;
  if (cap !== undefined && cap !== null && (!Number.isInteger(cap) || cap < 1)) {
    throw new CarError("INVALID_ARGUMENT", `Invalid max_concurrent_runs ${cap}: expected an integer ≥ 1`, {
      key: "max_concurrent_runs",
      found: String(cap),
    });
  }
  // Checked before creating anything, so a refused bind leaves no `.car-hub/` behind.
  const { token, auth } = await resolveServerToken({
    option: options.token,
    fileToken: manifest.server.auth_token,
    file: paths.manifest,
    stateDir: paths.dir,
    host,
    prepare: () => ensureHubDir(paths),
  });

  // Without the option the registry follows hub.yml's max_concurrent_runs (edits apply live).
  const log = options.log ?? ((line: string) => console.error(line));
  const registry = await openHub(paths.root, {
    log,
    ...(cap === undefined ? {} : { maxConcurrentRuns: cap }),
  });
  const app = createHubApp({
    registry,
    version: serverVersion(),
    token,
    allowedHosts: hostsFor(host),
    log,
    webRoot: options.webRoot,
    sseHeartbeatMs: options.sseHeartbeatMs,
    sseMaxQueuedBytes: options.sseMaxQueuedBytes,
  });
  const owned = {
    fetch: app.fetch,
    dispose() {
      app.dispose();
      registry.close();
    },
  };
  const stats = () => {
    const repos = app.repoApps.streams();
    return {
      sseSubscribers: app.events.size + repos.subscribers,
      sharedWatchersActive: repos.active,
      repoApps: app.repoApps.size,
    };
  };
  return { ...(await serveApp(owned, { host, port, auth, stats })), registry, stats };
}
