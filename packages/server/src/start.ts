import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import {
  CarError,
  type Config,
  describeTokenProblem,
  isUsableToken,
  TOKEN_EXPECTED,
} from "@codex-autorunner/core";
import { carPaths, loadConfig } from "@codex-autorunner/core/node";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { asHostHeaderName, isLoopbackHost } from "./security.js";
import { loadOrCreateServerToken } from "./token-file.js";

export interface StartServerOptions {
  /** Repository root. */
  root: string;
  /** Default: `server.host` from config.yml (127.0.0.1). */
  host?: string;
  /** Default: `server.port` (4173); 0 picks a free port. */
  port?: number;
  /**
   * `undefined` (default): env `CAR_AUTH_TOKEN`, else `server.auth_token`, else a token generated into
   * `.codex-autorunner/server-token` (loopback hosts only). A string: that token. `null`: no auth
   * (`car serve --no-auth`), loopback hosts only.
   */
  token?: string | null;
  /** Where refused requests are reported (default: stderr). */
  log?: (line: string) => void;
  /** Default: `@codex-autorunner/web`'s built assets; null serves no UI. */
  webRoot?: string | null;
  sseHeartbeatMs?: number;
  sseMaxQueuedBytes?: number;
}

/** Where the token in force came from; only a generated token is handed back (to print its URL). */
export type ServerAuth =
  | { mode: "generated"; token: string; file: string; created: boolean; ignoreAdded: boolean }
  | { mode: "configured"; source: "option" | "CAR_AUTH_TOKEN" | "server.auth_token" }
  | { mode: "none" };

export interface RunningServer {
  /** A URL this machine can open, e.g. `http://127.0.0.1:4173` (127.0.0.1 for a wildcard bind; never the token). */
  url: string;
  /** The address actually bound, e.g. `http://0.0.0.0:4173`. */
  boundUrl: string;
  auth: ServerAuth;
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

/** The configured token (option, env, config.yml), null for `token: null`, undefined when none is set. */
function configuredToken(
  options: StartServerOptions,
  config: Config,
): { token: string; auth: ServerAuth } | null | undefined {
  if (options.token === null) return null;
  const found = (source: "option" | "CAR_AUTH_TOKEN" | "server.auth_token", token: string) => {
    if (!isUsableToken(token)) {
      const where = source === "option" ? "The token option" : source;
      throw new CarError(
        source === "option" ? "INVALID_ARGUMENT" : "CONFIG_INVALID",
        `${where}: expected ${TOKEN_EXPECTED}, found ${describeTokenProblem(token)}`,
        { key: source, expected: TOKEN_EXPECTED, found: describeTokenProblem(token) },
      );
    }
    return { token, auth: { mode: "configured", source } as const };
  };
  if (options.token !== undefined) return found("option", options.token);
  // An empty CAR_AUTH_TOKEN= counts as unset (a common way to clear it); whitespace does not.
  const env = process.env.CAR_AUTH_TOKEN;
  if (env) return found("CAR_AUTH_TOKEN", env);
  if (config.server.auth_token) return found("server.auth_token", config.server.auth_token);
  return undefined;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = await loadConfig(options.root);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarError("INVALID_ARGUMENT", `Invalid port ${port}: expected an integer from 0 to 65535`, {
      key: "server.port",
      found: String(port),
    });
  }
  const configured = configuredToken(options, config);
  if (!isLoopbackHost(host) && !configured) {
    throw new CarError(
      "INVALID_ARGUMENT",
      `Refusing to listen on ${host} without an auth token set in config.yml or the environment: ` +
        "anyone who can reach it could run the agent. " +
        "Set server.auth_token in .codex-autorunner/config.yml or CAR_AUTH_TOKEN (16+ characters), or listen on 127.0.0.1" +
        (configured === null ? " (--no-auth is for loopback addresses only)." : "."),
      { key: "server.auth_token", found: host },
    );
  }
  let token: string | null = null;
  let auth: ServerAuth = { mode: "none" };
  if (configured) ({ token, auth } = configured);
  else if (configured === undefined) {
    const made = await loadOrCreateServerToken(carPaths(options.root, config).dir);
    token = made.token;
    auth = { mode: "generated", ...made };
  }

  const app = createApp({
    root: options.root,
    version: serverVersion(),
    token,
    log: options.log,
    webRoot: options.webRoot,
    sseHeartbeatMs: options.sseHeartbeatMs,
    sseMaxQueuedBytes: options.sseMaxQueuedBytes,
    allowedHosts: [host, ...(isWildcard(host) ? interfaceHosts() : [])],
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) => {
      app.dispose();
      const notHere = err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND";
      const why =
        err.code === "EADDRINUSE"
          ? `port ${port} on ${host} is already in use (pass --port, or 0 for a free one)`
          : notHere
            ? `${host} is not an address of this machine`
            : err.message;
      // A wrong host is bad usage; a busy port (or a refused one) is the machine's state, not usage.
      reject(
        new CarError(
          notHere ? "INVALID_ARGUMENT" : "LISTEN_FAILED",
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
    boundUrl: `http://${asHostHeaderName(host)}:${address.port}`,
    auth,
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
