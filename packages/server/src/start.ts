import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { CarError } from "@codex-autorunner/core";
import { loadConfig } from "@codex-autorunner/core/node";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { asHostHeaderName, isLoopbackHost } from "./security.js";

export interface StartServerOptions {
  /** Repository root. */
  root: string;
  /** Default: `server.host` from config.yml (127.0.0.1). */
  host?: string;
  /** Default: `server.port` (4173); 0 picks a free port. */
  port?: number;
  /** Default: env `CAR_AUTH_TOKEN`, else `server.auth_token`. */
  token?: string | null;
  /** Default: `@codex-autorunner/web`'s built assets; null serves no UI. */
  webRoot?: string | null;
  sseHeartbeatMs?: number;
  sseMaxQueuedBytes?: number;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:4173` (never contains the token). */
  url: string;
  port: number;
  host: string;
  /** Live counters for diagnostics and tests. */
  stats(): { sseSubscribers: number; sharedWatchersActive: boolean };
  /** Stops accepting, ends SSE streams and chats, closes every connection. The runner keeps running. */
  close(): Promise<void>;
}

export function serverVersion(): string {
  try {
    // src/start.ts and dist/index.js both sit one level below the package root.
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** Host names a browser may use to reach a wildcard bind: every local interface address. */
function interfaceHosts(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) out.push(asHostHeaderName(addr.address));
  }
  return out;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = await loadConfig(options.root);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const envToken = process.env.CAR_AUTH_TOKEN;
  const token = options.token !== undefined ? options.token : envToken ? envToken : config.server.auth_token;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarError("INVALID_ARGUMENT", `Invalid port ${port}: expected an integer from 0 to 65535`, {
      key: "server.port",
      found: String(port),
    });
  }
  if (!isLoopbackHost(host) && !token) {
    throw new CarError(
      "INVALID_ARGUMENT",
      `Refusing to listen on ${host} without an auth token: anyone who can reach it could run the agent. ` +
        "Set server.auth_token in .codex-autorunner/config.yml or CAR_AUTH_TOKEN, or listen on 127.0.0.1.",
      { key: "server.auth_token", found: host },
    );
  }

  const app = createApp({
    root: options.root,
    version: serverVersion(),
    token: token ?? null,
    webRoot: options.webRoot,
    sseHeartbeatMs: options.sseHeartbeatMs,
    sseMaxQueuedBytes: options.sseMaxQueuedBytes,
    allowedHosts: [host, ...(isWildcard(host) ? interfaceHosts() : [])],
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) => {
      app.dispose();
      const why =
        err.code === "EADDRINUSE"
          ? `port ${port} on ${host} is already in use (pass --port, or 0 for a free one)`
          : err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND"
            ? `${host} is not an address of this machine`
            : err.message;
      reject(
        new CarError(
          "INVALID_ARGUMENT",
          `Cannot listen on ${host}:${port}: ${why}`,
          { found: `${host}:${port}` },
          { cause: err },
        ),
      );
    });
  });

  const address = server.address() as AddressInfo;
  const urlHost = isWildcard(host) ? "127.0.0.1" : asHostHeaderName(host);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host,
    stats: () => ({ sseSubscribers: app.streamHub.size, sharedWatchersActive: app.streamHub.isActive }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        app.dispose();
        server.close(() => resolve());
        const http = server as unknown as {
          closeIdleConnections?: () => void;
          closeAllConnections?: () => void;
        };
        http.closeIdleConnections?.();
        // SSE responses were ended by dispose(); anything still open after a moment is cut.
        setTimeout(() => http.closeAllConnections?.(), 1000).unref();
      });
      return closing;
    },
  };
}
