import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { CarError, describeTokenProblem, isUsableToken, TOKEN_EXPECTED } from "@codex-autorunner/core";
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

/** Where a server's token may come from; `file` names where `server.auth_token` lives (for messages). */
export interface TokenSources {
  /** The option: a token, `null` (no auth, loopback only) or `undefined` (look further). */
  option: string | null | undefined;
  /** `server.auth_token` from the file. */
  fileToken: string | null;
  /** The settings file as a user writes it, e.g. `.codex-autorunner/config.yml` or `hub.yml`. */
  file: string;
  /** Where a generated token is kept (`server-token`). */
  stateDir: string;
  host: string;
  /** Run before a token is generated into `stateDir` (the hub creates its self-ignoring folder). */
  prepare?: () => Promise<void>;
}

/** The configured token (option, env, the file), null for `option: null`, undefined when none is set. */
function configuredToken(s: TokenSources): { token: string; auth: ServerAuth } | null | undefined {
  if (s.option === null) return null;
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
  if (s.option !== undefined) return found("option", s.option);
  // An empty CAR_AUTH_TOKEN= counts as unset (a common way to clear it); whitespace does not.
  const env = process.env.CAR_AUTH_TOKEN;
  if (env) return found("CAR_AUTH_TOKEN", env);
  if (s.fileToken) return found("server.auth_token", s.fileToken);
  return undefined;
}

/**
 * The token in force: option > env `CAR_AUTH_TOKEN` > the file's `server.auth_token` > one generated
 * into `<stateDir>/server-token`. A non-loopback host without a configured token is refused.
 */
export async function resolveServerToken(
  s: TokenSources,
): Promise<{ token: string | null; auth: ServerAuth }> {
  const configured = configuredToken(s);
  if (!isLoopbackHost(s.host) && !configured) {
    const name = s.file.slice(s.file.lastIndexOf("/") + 1);
    throw new CarError(
      "INVALID_ARGUMENT",
      `Refusing to listen on ${s.host} without an auth token set in ${name} or the environment: ` +
        "anyone who can reach it could run the agent. " +
        `Set server.auth_token in ${s.file} or CAR_AUTH_TOKEN (16+ characters), or listen on 127.0.0.1` +
        (configured === null ? " (--no-auth is for loopback addresses only)." : "."),
      { key: "server.auth_token", found: s.host },
    );
  }
  if (configured) return configured;
  if (configured === null) return { token: null, auth: { mode: "none" } };
  await s.prepare?.();
  const made = await loadOrCreateServerToken(s.stateDir);
  return { token: made.token, auth: { mode: "generated", ...made } };
}

export function checkPort(port: number, key: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarError("INVALID_ARGUMENT", `Invalid port ${port}: expected an integer from 0 to 65535`, {
      key,
      found: String(port),
    });
  }
}

/** Host header names a server bound to `host` answers to (every interface's for a wildcard bind). */
export function hostsFor(host: string): string[] {
  return [host, ...(isWildcard(host) ? interfaceHosts() : [])];
}

/** What `serveApp` needs of an app: its fetch and its shutdown. */
export interface ServableApp {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  dispose(): void;
}

/**
 * Listens on host:port (a failure becomes LISTEN_FAILED, or INVALID_ARGUMENT for an address this
 * machine does not have, and disposes the app), and hands back the running server.
 */
export async function serveApp(
  app: ServableApp,
  options: { host: string; port: number; auth: ServerAuth; stats: RunningServer["stats"] },
): Promise<RunningServer> {
  const { host, port, auth } = options;
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
    stats: options.stats,
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

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = await loadConfig(options.root);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  checkPort(port, "server.port");
  const { token, auth } = await resolveServerToken({
    option: options.token,
    fileToken: config.server.auth_token,
    file: ".codex-autorunner/config.yml",
    stateDir: carPaths(options.root, config).dir,
    host,
  });

  const app = createApp({
    root: options.root,
    version: serverVersion(),
    token,
    log: options.log,
    webRoot: options.webRoot,
    sseHeartbeatMs: options.sseHeartbeatMs,
    sseMaxQueuedBytes: options.sseMaxQueuedBytes,
    allowedHosts: hostsFor(host),
  });
  return serveApp(app, {
    host,
    port,
    auth,
    stats: () => ({ sseSubscribers: app.streamHub.size, sharedWatchersActive: app.streamHub.isActive }),
  });
}
