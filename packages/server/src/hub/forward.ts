import type { HubRegistryApi } from "@codex-autorunner/core/node";
import type { Context } from "hono";
import { type CarApp, createApp } from "../app.js";
import type { AppDeps } from "../context.js";
import { repoRef } from "./repos.js";

/** What every repo's own app shares with the hub (the token is the hub's business: none inside). */
export type RepoAppDeps = Omit<AppDeps, "root" | "token" | "hub" | "webRoot">;

/**
 * Each repo's own API (`createApp`, the same app `car serve` runs), created on the first request
 * under `/repos/<id>/api/` and kept; dropped (its SSE streams ended) when the repo leaves the hub
 * or the hub closes. Its run start/resume/stop go through the registry, so the hub's cap holds for
 * starts from the repo's own page too.
 */
export class RepoApps {
  private readonly apps = new Map<string, { path: string; app: CarApp }>();

  constructor(
    private readonly registry: HubRegistryApi,
    private readonly deps: RepoAppDeps,
  ) {}

  get size(): number {
    return this.apps.size;
  }

  /** The app of a registered repo (404 HUB_REPO_NOT_FOUND otherwise). */
  get(id: string): CarApp {
    const ref = repoRef(this.registry, id);
    const cached = this.apps.get(ref.id);
    if (cached && cached.path === ref.path) return cached.app;
    cached?.app.dispose();
    const registry = this.registry;
    const app = createApp({
      ...this.deps,
      root: ref.path,
      token: null,
      webRoot: null,
      hub: {
        start: (once, force) => registry.start(ref.id, { once, force }),
        cancelQueued: () => registry.cancelQueued(ref.id),
      },
    });
    this.apps.set(ref.id, { path: ref.path, app });
    return app;
  }

  drop(id: string): void {
    this.apps.get(id)?.app.dispose();
    this.apps.delete(id);
  }

  /** Open log streams of the repo apps, and whether any holds its shared watchers. */
  streams(): { subscribers: number; active: boolean } {
    let subscribers = 0;
    let active = false;
    for (const { app } of this.apps.values()) {
      subscribers += app.streamHub.size;
      active ||= app.streamHub.isActive;
    }
    return { subscribers, active };
  }

  disposeAll(): void {
    for (const id of [...this.apps.keys()]) this.drop(id);
  }
}

/** `/repos/<id>` and the rest of the path (still percent-encoded), or null for another path. */
export function splitRepoPath(pathname: string): { rawId: string; rest: string } | null {
  const m = /^\/repos\/([^/]+)(\/.*)?$/.exec(pathname);
  return m ? { rawId: m[1]!, rest: m[2] ?? "" } : null;
}

/** The id as sent (percent-decoded), or null when it does not decode. */
export function decodeId(rawId: string): string | null {
  try {
    return decodeURIComponent(rawId);
  } catch {
    return null;
  }
}

/**
 * Hands the request to `app` with the `/repos/<id>` prefix stripped (body, signal and env kept).
 * `rest` is appended to the origin, never resolved against it: a `//host/…` rest stays a path.
 */
export function forward(
  c: Context,
  app: { fetch: CarApp["fetch"] },
  rest: string,
): Response | Promise<Response> {
  const url = new URL(c.req.url);
  const target = new URL(`${url.origin}${rest}${url.search}`);
  const raw = c.req.raw;
  const hasBody = raw.method !== "GET" && raw.method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = {
    method: raw.method,
    headers: raw.headers,
    signal: raw.signal,
  };
  if (hasBody) {
    init.body = raw.body;
    init.duplex = "half";
  }
  return app.fetch(new Request(target, init), c.env);
}
