/**
 * The HTTP route table: every route the server answers, by name. No zod here: the web UI imports this
 * at runtime (its typed client is keyed by these names); the shapes of each route live in http.ts.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export const ROUTES = {
  health: { method: "GET", path: "/health" },
  state: { method: "GET", path: "/api/state" },
  docs: { method: "GET", path: "/api/docs" },
  doc: { method: "GET", path: "/api/docs/:kind" },
  saveDoc: { method: "PUT", path: "/api/docs/:kind" },
  runStart: { method: "POST", path: "/api/run/start" },
  runResume: { method: "POST", path: "/api/run/resume" },
  runStop: { method: "POST", path: "/api/run/stop" },
  runKill: { method: "POST", path: "/api/run/kill" },
  runs: { method: "GET", path: "/api/runs" },
  run: { method: "GET", path: "/api/runs/:id" },
  /** What the run changed, from its `before` checkpoint to its `after`. */
  runDiff: { method: "GET", path: "/api/runs/:id/diff" },
  /** Back to the state before the run (undoing it and every later run); 409 while a runner is alive. */
  runRollback: { method: "POST", path: "/api/runs/:id/rollback" },
  logs: { method: "GET", path: "/api/logs" },
  /** Server-sent events: see sse.ts for the events and their data. */
  logStream: { method: "GET", path: "/api/logs/stream" },
  /** Steering messages for the running loop (`car steer`): list, queue (201), remove one. */
  steerList: { method: "GET", path: "/api/steer" },
  steerPost: { method: "POST", path: "/api/steer" },
  steerDelete: { method: "DELETE", path: "/api/steer/:id" },
  /** JSON, or with `Accept: text/event-stream` the events in sse.ts's CHAT_EVENTS. */
  chat: { method: "POST", path: "/api/chat" },
  /**
   * `car hub serve` only (hub.ts): every registered repo's summary; register a repo (201); forget one
   * (never deletes files); the hub's live stream. Each repo's own routes above are served under
   * `HUB_REPO_PREFIX` (`/repos/:id/api/state`, …) and its web UI at `/repos/:id/`.
   */
  hubRepos: { method: "GET", path: "/hub/repos" },
  hubAddRepo: { method: "POST", path: "/hub/repos" },
  hubRemoveRepo: { method: "DELETE", path: "/hub/repos/:id" },
  hubStream: { method: "GET", path: "/hub/stream" },
} as const satisfies Record<string, { method: HttpMethod; path: string }>;

export type RouteName = keyof typeof ROUTES;

/** Under a hub, a repo's routes and UI live below this prefix (`/repos/:id` + a route's path). */
export const HUB_REPO_PREFIX = "/repos/:id";

/** Repo ids: URL-safe, at most 128 characters (core's hub/ids.ts makes them from paths). */
export const HUB_REPO_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/** The path of one repo's route under a hub: `/repos/<id>/api/state`. */
export function hubRepoPath(id: string, path: string): string {
  return `/repos/${encodeURIComponent(id)}${path}`;
}

/** `{kind: string}` for `/api/docs/:kind`, `{}` for a path without parameters. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string | number } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string | number }
    : Record<never, never>;

export type RouteParams<K extends RouteName> = PathParams<(typeof ROUTES)[K]["path"]>;

/** The route's path with its `:name` parameters filled in (URI-encoded). */
export function routePath<K extends RouteName>(name: K, params: RouteParams<K>): string {
  const values = params as Record<string, string | number>;
  return ROUTES[name].path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(String(values[key])));
}
