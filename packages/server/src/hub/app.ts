import { setMaxListeners } from "node:events";
import { DEFAULT_CONFIG, HUB_REPO_ID_PATTERN } from "@codex-autorunner/core";
import type { HubRegistryApi } from "@codex-autorunner/core/node";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createContext } from "../context.js";
import { errorJson, handleError } from "../errors.js";
import { healthRoutes } from "../routes/health.js";
import { authGuard, hostGuard, securityHeaders, writeGuard } from "../security.js";
import { HubEventLog } from "./events.js";
import { decodeId, forward, RepoApps, splitRepoPath } from "./forward.js";
import { hubPages } from "./page.js";
import { hubRepoRoutes, repoNotFound } from "./repos.js";
import { hubStreamRoutes } from "./stream.js";

export interface HubAppDeps {
  registry: HubRegistryApi;
  /** Reported by `GET /health`. */
  version: string;
  /** Bearer token required on `/hub/*` and `/repos/<id>/api/*`; null: no auth (loopback only). */
  token: string | null;
  /** Host header values accepted besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts?: string[];
  /** Where refused requests are reported (default: stderr). */
  log?: (line: string) => void;
  /** Folder of the built web UI (`hub.html`, `index.html`, `assets/`); undefined: the web package's; null: none. */
  webRoot?: string | null;
  clock?: () => Date;
  sseHeartbeatMs?: number;
  sseMaxQueuedBytes?: number;
  /** Body cap on `/hub/*` writes (default: config.yml's default `server.max_body_bytes`). */
  maxBodyBytes?: number;
}

/** The hub's Hono app and what its owner needs to shut it down. */
export type HubApp = Hono & {
  /** Ends the hub stream and every repo app (their SSE streams). Does not close the registry. */
  dispose(): void;
  readonly events: HubEventLog;
  readonly repoApps: RepoApps;
};

/**
 * `car hub serve`'s HTTP surface, with `car serve`'s guards (security.ts): the Host allowlist and
 * JSON-only same-origin writes on every route, the token on `/hub/*` and on every repo's API under
 * `/repos/<id>/api/*` (checked before the id, so ids cannot be probed without it), a body cap on
 * writes (a repo's own API applies that repo's `server.max_body_bytes`). Pages (`/`, `/assets/*`, a
 * repo's UI under `/repos/<id>/`) need no token, like `car serve`'s: they hold no data.
 */
export function createHubApp(deps: HubAppDeps): HubApp {
  const { registry } = deps;
  const lifetime = new AbortController();
  setMaxListeners(0, lifetime.signal);
  const ctx = createContext(
    {
      root: registry.root,
      config: DEFAULT_CONFIG,
      version: deps.version,
      token: deps.token,
      allowedHosts: deps.allowedHosts,
      log: deps.log,
      clock: deps.clock,
      sseHeartbeatMs: deps.sseHeartbeatMs,
      sseMaxQueuedBytes: deps.sseMaxQueuedBytes,
    },
    lifetime.signal,
  );
  const events = new HubEventLog(registry);
  const repoApps = new RepoApps(registry, {
    version: deps.version,
    allowedHosts: deps.allowedHosts,
    log: deps.log,
    clock: deps.clock,
    sseHeartbeatMs: deps.sseHeartbeatMs,
    sseMaxQueuedBytes: deps.sseMaxQueuedBytes,
  });
  const stopDropping = registry.subscribe((event) => {
    if (event.type === "removed") repoApps.drop(event.id);
  });
  const pages = hubPages(deps.webRoot);
  const maxSize = deps.maxBodyBytes ?? DEFAULT_CONFIG.server.max_body_bytes;
  const auth = authGuard(ctx);

  const repoRoute = async (c: Context) => {
    const url = new URL(c.req.url);
    const parts = splitRepoPath(url.pathname);
    if (!parts) return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${c.req.path}`);
    const id = decodeId(parts.rawId);
    const { rest } = parts;
    if (rest === "/api" || rest.startsWith("/api/")) {
      // The token first: without it, nothing tells which ids exist.
      let allowed = false;
      const refused = await auth(c, async () => {
        allowed = true;
      });
      if (!allowed) return refused ?? errorJson(c, "UNAUTHORIZED", "Missing token");
      if (id === null) throw repoNotFound(parts.rawId);
      return forward(c, repoApps.get(id), rest);
    }
    if (id === null || !HUB_REPO_ID_PATTERN.test(id)) throw repoNotFound(parts.rawId);
    if (c.req.method !== "GET" && c.req.method !== "HEAD")
      return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${c.req.path}`);
    // The repo's UI resolves its assets and API relative to the folder, so it needs the slash.
    if (rest === "") return c.redirect(`/repos/${parts.rawId}/${url.search}`, 308);
    return forward(c, pages.ui, rest);
  };

  const app = new Hono();
  app.onError(handleError);
  app.notFound((c) => errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${c.req.path}`));
  app.use("*", securityHeaders());
  app.use("*", hostGuard(ctx, deps.allowedHosts));
  app.use("*", writeGuard(ctx));
  app.use("/hub/*", auth);
  app.on(
    ["POST", "PUT", "PATCH", "DELETE"],
    "/hub/*",
    bodyLimit({
      maxSize,
      onError: (c) =>
        errorJson(c, "PAYLOAD_TOO_LARGE", `Request body is larger than ${maxSize} bytes (the hub's limit)`),
    }),
  );
  app.route("/", healthRoutes(ctx));
  app.route(
    "/",
    hubRepoRoutes(registry, (id) => repoApps.drop(id)),
  );
  app.route("/", hubStreamRoutes(ctx, registry, events));
  app.all("/repos/*", repoRoute);
  app.route("/", pages.routes);

  return Object.assign(app, {
    dispose() {
      lifetime.abort();
      stopDropping();
      events.close();
      repoApps.disposeAll();
    },
    events,
    repoApps,
  });
}
