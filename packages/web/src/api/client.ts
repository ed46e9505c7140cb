/**
 * Calls to the server's /api, typed by core's contract (`@codex-autorunner/core` contract/): the route
 * table gives each call's method and path, its types give the body sent and the answer read. Only
 * types come from the zod schemas, so no zod reaches the browser. Every call sends the token as
 * `Authorization: Bearer` and turns failures into ApiError (see errors.ts), so views only ever handle
 * one error type.
 */
import {
  ROUTES,
  type RouteBody,
  type RouteName,
  type RouteParams,
  type RouteQuery,
  type RouteResponse,
  routePath,
} from "@codex-autorunner/core";
import { apiErrorFrom, networkError } from "./errors.js";
import { authHeaders } from "./token.js";

export interface ApiOptions {
  /** Base the relative `api/...` paths resolve against (the page's URL in the browser). */
  baseUrl: string;
  getToken(): string;
  /** Told the token of each request the server answered with success (the token was accepted). */
  onTokenAccepted?(token: string): void;
  fetch?: typeof fetch;
}

interface CallOptions<K extends RouteName> {
  params?: RouteParams<K>;
  query?: RouteQuery<K>;
  body?: RouteBody<K>;
  ifMatch?: string | null;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(options: ApiOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  /** A route's URL, relative to the page (so a reverse proxy's sub-path is kept). */
  function url<K extends RouteName>(name: K, params: RouteParams<K>, query?: RouteQuery<K>): string {
    const u = new URL(routePath(name, params).slice(1), options.baseUrl);
    for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
      if (v !== null && v !== undefined && v !== "") u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  function headers(extra: Record<string, string> = {}, token = options.getToken()): Record<string, string> {
    return { Accept: "application/json", ...authHeaders(token), ...extra };
  }

  async function send<K extends RouteName>(name: K, opts: CallOptions<K> = {}): Promise<Response> {
    const target = url(name, (opts.params ?? {}) as RouteParams<K>, opts.query);
    const { method } = ROUTES[name];
    // The server takes writes only as JSON (a cross-site form cannot send that): `{}` when no body.
    const body = opts.body !== undefined ? JSON.stringify(opts.body) : method === "GET" ? undefined : "{}";
    const token = options.getToken();
    const h = headers(opts.headers, token);
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (opts.ifMatch) h["If-Match"] = opts.ifMatch;
    let res: Response;
    try {
      res = await doFetch(target, {
        method,
        headers: h,
        body,
        signal: opts.signal,
        cache: "no-store",
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw networkError(err);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw apiErrorFrom(res.status, res.statusText, text);
    }
    if (token) options.onTokenAccepted?.(token);
    return res;
  }

  /** The route's JSON answer. Anything but JSON (a proxy's page) is an error, not a guess. */
  async function call<K extends RouteName>(name: K, opts?: CallOptions<K>): Promise<RouteResponse<K>> {
    const res = await send(name, opts);
    const text = await res.text();
    try {
      return JSON.parse(text) as RouteResponse<K>;
    } catch {
      throw apiErrorFrom(
        502,
        "",
        `The server answered ${ROUTES[name].path} with something that is not JSON.`,
      );
    }
  }

  return {
    url,
    headers,
    state: (signal?: AbortSignal) => call("state", { signal }),
    docsIndex: () => call("docs"),
    doc: (kind: string) => call("doc", { params: { kind } }),
    /** With an etag the write only happens if nobody changed the doc since (else ApiError 409). */
    saveDoc: (kind: string, content: string, etag: string | null) =>
      call("saveDoc", { params: { kind }, body: { content }, ifMatch: etag }),
    start: (once: boolean) => call("runStart", { body: { once } }),
    resume: (once: boolean) => call("runResume", { body: { once } }),
    stop: () => call("runStop"),
    kill: () => call("runKill"),
    runs: (limit: number, offset: number) => call("runs", { query: { limit, offset } }),
    run: (id: number) => call("run", { params: { id } }),
    /** What the run changed; the patch is cut near `maxBytes` (the server's default when absent). */
    runDiff: (id: number, maxBytes?: number) =>
      call("runDiff", { params: { id }, query: { max_bytes: maxBytes } }),
    /** Back to before run `id`; `dryRun` only plans. 409 while a runner is alive. */
    rollback: (id: number, dryRun: boolean) =>
      call("runRollback", { params: { id }, body: { dry_run: dryRun } }),
    logs: (query: RouteQuery<"logs">, signal?: AbortSignal) => call("logs", { query, signal }),
    steerList: () => call("steerList"),
    steerPost: (message: string) => call("steerPost", { body: { message } }),
    steerDelete: (id: string) => call("steerDelete", { params: { id } }),
    /** Raw response of a streamed chat (Accept: text/event-stream); the caller reads the events. */
    chatStream: (body: RouteBody<"chat">, signal: AbortSignal) =>
      send("chat", { body, signal, headers: { Accept: "text/event-stream" } }),
  };
}
