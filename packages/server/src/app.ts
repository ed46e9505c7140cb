import { setMaxListeners } from "node:events";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type AppContext, type AppDeps, createContext } from "./context.js";
import { errorJson, handleError } from "./errors.js";
import { changesRoutes } from "./routes/changes.js";
import { chatRoutes } from "./routes/chat.js";
import { docsRoutes } from "./routes/docs.js";
import { healthRoutes } from "./routes/health.js";
import { logsRoutes } from "./routes/logs.js";
import { runRoutes } from "./routes/run.js";
import { runsRoutes } from "./routes/runs.js";
import { stateRoutes } from "./routes/state.js";
import { staticRoutes } from "./routes/static.js";
import { steerRoutes } from "./routes/steer.js";
import { streamRoutes } from "./routes/stream.js";
import { authGuard, hostGuard, securityHeaders, writeGuard } from "./security.js";
import { StreamHub } from "./sse/hub.js";

export type { AppDeps } from "./context.js";

/** The Hono app plus what its owner needs to shut it down cleanly. */
export type CarApp = Hono & {
  /** Ends SSE streams and chat agents and releases the shared watchers. Idempotent. */
  dispose(): void;
  /** The shared SSE hub (subscriber count, for diagnostics and tests). */
  readonly streamHub: StreamHub;
};

function maxBody(ctx: AppContext) {
  return async (c: import("hono").Context, next: () => Promise<void>) => {
    const maxSize = (await ctx.getConfig()).server.max_body_bytes;
    return bodyLimit({
      maxSize,
      onError: (cx) =>
        errorJson(
          cx,
          "PAYLOAD_TOO_LARGE",
          `Request body is larger than ${maxSize} bytes (server.max_body_bytes)`,
        ),
    })(c, next);
  };
}

/**
 * The whole HTTP surface as a Hono app (testable with `app.request()`): no-framing headers and the
 * Host allowlist on every route, JSON-only same-origin writes, token on `/api/*`, body cap on writes,
 * JSON errors everywhere, then the routes, then the web UI with SPA fallback.
 */
export function createApp(deps: AppDeps): CarApp {
  const lifetime = new AbortController();
  // Every open SSE stream and chat listens for shutdown on this one signal.
  setMaxListeners(0, lifetime.signal);
  const ctx = createContext(deps, lifetime.signal);
  const hub = new StreamHub(ctx);
  const app = new Hono();

  app.onError(handleError);
  app.notFound((c) => errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${c.req.path}`));

  app.use("*", securityHeaders());
  app.use("*", hostGuard(ctx, deps.allowedHosts));
  app.use("*", writeGuard(ctx));
  app.use("/api/*", authGuard(ctx));
  app.on(["POST", "PUT", "PATCH", "DELETE"], "/api/*", maxBody(ctx));

  app.route("/", healthRoutes(ctx));
  app.route("/", stateRoutes(ctx));
  app.route("/", docsRoutes(ctx));
  app.route("/", runRoutes(ctx));
  app.route("/", runsRoutes(ctx));
  app.route("/", changesRoutes(ctx));
  app.route("/", streamRoutes(ctx, hub));
  app.route("/", logsRoutes(ctx));
  app.route("/", steerRoutes(ctx));
  app.route("/", chatRoutes(ctx));
  app.route("/", staticRoutes(deps.webRoot));

  return Object.assign(app, {
    dispose() {
      lifetime.abort();
      hub.closeAll();
    },
    streamHub: hub,
  });
}
