import { request as httpRequest, type IncomingMessage } from "node:http";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type SpawnedCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { signalQuietly } from "./proc.js";

const GC_PRELOAD = fileURLToPath(new URL("./gc-preload.mjs", import.meta.url));

import type { Repo } from "./repo.js";

export interface HttpResponse {
  status: number;
  headers: IncomingMessage["headers"];
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Raw Host header (node:http lets us send any, unlike fetch). */
  host?: string;
  timeoutMs?: number;
}

/** One HTTP request with full control over the path (no normalisation of `..%2f`) and headers. */
export function request(port: number, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: opts.method ?? "GET",
        headers: { host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`request ${path} timed out`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      // A server may answer an oversize body early and reset the socket while we still write.
      if (e.code === "EPIPE" || e.code === "ECONNRESET") reject(Object.assign(e, { path }));
      else reject(e);
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export function json(res: HttpResponse): Record<string, unknown> {
  try {
    return JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${res.text.slice(0, 200)}`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface CarServer {
  port: number;
  pid: number;
  proc: SpawnedCar;
  stop(): Promise<void>;
}

/**
 * `car serve` as a real child process on 127.0.0.1; resolves once /health answers. With `--no-auth`
 * unless `auth` is true or `env` sets CAR_AUTH_TOKEN (the scenarios send no token).
 */
export async function startCarServe(
  repo: Repo,
  opts: { env?: Record<string, string>; args?: string[]; auth?: boolean } = {},
): Promise<CarServer> {
  const port = await freePort();
  const noAuth = !(opts.auth ?? opts.env?.CAR_AUTH_TOKEN !== undefined);
  const proc = spawnCar(
    [
      "serve",
      "--repo",
      repo.root,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(noAuth ? ["--no-auth"] : []),
      ...(opts.args ?? []),
    ],
    {
      cwd: repo.root,
      // gc-preload lets settle() force a full GC with SIGUSR2 (deterministic memory readings).
      env: { ...repo.env(), NODE_OPTIONS: `--expose-gc --import=${GC_PRELOAD}`, ...opts.env },
      timeoutMs: 600_000,
    },
  );
  let early: string | null = null;
  void proc.exited.then((r) => {
    early = `car serve exited early (code ${r.code}): ${r.stderr.slice(0, 500)} ${r.stdout.slice(0, 300)}`;
  });
  await waitFor(
    async () => {
      if (early) return true;
      try {
        return (await request(port, "/health", { timeoutMs: 2000 })).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, what: "car serve answering /health" },
  );
  if (early) throw new Error(early);
  return {
    port,
    pid: proc.pid,
    proc,
    stop: async () => {
      signalQuietly(proc.pid, "SIGTERM");
      const t = setTimeout(() => signalQuietly(proc.pid, "SIGKILL"), 5000);
      await proc.exited.catch(() => undefined);
      clearTimeout(t);
    },
  };
}

export interface SseClient {
  /** Raw text received so far. */
  received(): string;
  status: number;
  close(): void;
  closed: Promise<void>;
}

/** An SSE subscriber; `paused` stops reading (a slow client whose socket buffers fill up). */
export function sse(
  port: number,
  path: string,
  opts: { headers?: Record<string, string>; paused?: boolean } = {},
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    let text = "";
    let doneResolve: () => void = () => {};
    const closed = new Promise<void>((r) => {
      doneResolve = r;
    });
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        headers: { host: `127.0.0.1:${port}`, accept: "text/event-stream", ...opts.headers },
        agent: false,
      },
      (res) => {
        if (opts.paused) res.pause();
        else
          res.on("data", (c: Buffer) => {
            text += c.toString("utf8");
          });
        res.on("close", () => doneResolve());
        res.on("error", () => doneResolve());
        resolve({ received: () => text, status: res.statusCode ?? 0, close: () => req.destroy(), closed });
      },
    );
    req.on("error", (e) => {
      doneResolve();
      reject(e);
    });
    req.end();
  });
}
