/**
 * Typed calls to the server's /api. Every call sends the token as `Authorization: Bearer` and turns
 * failures into ApiError (see errors.ts), so views only ever handle one error type.
 */
import type { RunRecord } from "@codex-autorunner/core";
import { apiErrorFrom, networkError } from "./errors.js";
import type {
  DocResponse,
  DocsIndexResponse,
  LogsResponse,
  RunStartResponse,
  RunsPage,
  StateResponse,
} from "./types.js";

export interface ApiOptions {
  /** Base the relative `api/...` paths resolve against (the page's URL in the browser). */
  baseUrl: string;
  getToken(): string;
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  ifMatch?: string | null;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(options: ApiOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  function url(path: string, query?: Record<string, string | number | null | undefined>): string {
    const u = new URL(path, options.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== null && v !== undefined && v !== "") u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  function headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = options.getToken();
    return { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
  }

  async function send(method: string, target: string, opts: RequestOptions = {}): Promise<Response> {
    const h = headers(opts.headers);
    if (opts.body !== undefined) h["Content-Type"] = "application/json";
    if (opts.ifMatch) h["If-Match"] = opts.ifMatch;
    let res: Response;
    try {
      res = await doFetch(target, {
        method,
        headers: h,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
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
    return res;
  }

  async function json<T>(method: string, target: string, opts?: RequestOptions): Promise<T> {
    const res = await send(method, target, opts);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw apiErrorFrom(502, "", `The server answered ${target} with something that is not JSON.`);
    }
  }

  return {
    url,
    headers,
    state: (signal?: AbortSignal) => json<StateResponse>("GET", url("api/state"), { signal }),
    docsIndex: () => json<DocsIndexResponse>("GET", url("api/docs")),
    doc: (kind: string) => json<DocResponse>("GET", url(`api/docs/${encodeURIComponent(kind)}`)),
    /** With an etag the write only happens if nobody changed the doc since (else ApiError 409). */
    saveDoc: (kind: string, content: string, etag: string | null) =>
      json<DocResponse>("PUT", url(`api/docs/${encodeURIComponent(kind)}`), {
        body: { content },
        ifMatch: etag,
      }),
    start: (once: boolean) => json<RunStartResponse>("POST", url("api/run/start"), { body: { once } }),
    resume: (once: boolean) => json<RunStartResponse>("POST", url("api/run/resume"), { body: { once } }),
    stop: () => json<Record<string, unknown>>("POST", url("api/run/stop"), { body: {} }),
    kill: () => json<Record<string, unknown>>("POST", url("api/run/kill"), { body: {} }),
    runs: async (limit: number, offset: number): Promise<RunsPage> =>
      normalizeRunsPage(await json<unknown>("GET", url("api/runs", { limit, offset })), limit, offset),
    run: (id: number) => json<RunRecord>("GET", url(`api/runs/${id}`)),
    logs: (query: { run_id?: number | null; tail?: number | null }, signal?: AbortSignal) =>
      json<LogsResponse>("GET", url("api/logs", query), { signal }),
    /** Raw response of a streamed chat (Accept: text/event-stream); the caller reads the body. */
    chatStream: (body: Record<string, unknown>, signal: AbortSignal) =>
      send("POST", url("api/chat"), { body, signal, headers: { Accept: "text/event-stream" } }),
  };
}

/**
 * The runs list as `{runs, total, next}` whatever the server's page envelope: a bare array, or an
 * object with the records under `runs`/`items`/`records` and an optional `total`/`next_offset`.
 */
export function normalizeRunsPage(body: unknown, limit: number, offset: number): RunsPage {
  let runs: RunRecord[] = [];
  let total: number | null = null;
  let next: number | null = null;
  if (Array.isArray(body)) {
    runs = body as RunRecord[];
  } else if (body && typeof body === "object") {
    const o = body as Record<string, unknown>;
    const list = o.runs ?? o.items ?? o.records ?? o.data;
    if (Array.isArray(list)) runs = list as RunRecord[];
    if (typeof o.total === "number") total = o.total;
    const n = o.next_offset ?? o.next;
    if (typeof n === "number") next = n;
    else if (n === null) next = null;
  }
  if (next === null && total === null && runs.length >= limit) next = offset + runs.length;
  if (total !== null) next = offset + runs.length < total ? offset + runs.length : null;
  return { runs, total, next };
}
