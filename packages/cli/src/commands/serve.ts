import type { CommandModule } from "yargs";
import { err, type GlobalArgs, out, repoRoot, setExitCode } from "./common.js";

interface ServeArgs extends GlobalArgs {
  host?: string;
  port?: number;
  /** false with `--no-auth`. */
  auth?: boolean;
}

type RunningServer = import("@codex-autorunner/server").RunningServer;

/** The start-up banner: the URL to open (with a generated token only), where the token comes from, warnings. */
export function serveBanner(
  server: RunningServer,
  root: string,
  loopback: boolean,
  /** `car hub serve`: its name in the banner and where its `server.auth_token` lives. */
  what: { name: string; settings: string } = {
    name: "codex-autorunner",
    settings: ".codex-autorunner/config.yml",
  },
): { out: string[]; err: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  const auth = server.auth;
  const rel = (file: string) => (file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file);
  if (auth.mode === "generated") {
    lines.push(`${what.name} serving ${server.boundUrl}/?token=${encodeURIComponent(auth.token)}`);
    lines.push(
      `token: ${auth.created ? "generated" : "reused"}, kept in ${rel(auth.file)} (readable only by you); open the URL above once, the page remembers it`,
    );
    if (auth.ignoreAdded)
      lines.push(`added server-token to ${rel(auth.file.replace(/server-token$/, ".gitignore"))}`);
  } else {
    lines.push(`${what.name} serving ${server.boundUrl}`);
    if (auth.mode === "configured") {
      const from =
        auth.source === "server.auth_token" ? `server.auth_token in ${what.settings}` : auth.source;
      lines.push(`token: from ${from}`);
    } else {
      warnings.push(
        "warning: --no-auth: no token; any program or user on this machine can start, stop and edit (web pages still cannot)",
      );
    }
  }
  if (server.boundUrl !== server.url) lines.push(`on this machine: ${server.url}`);
  if (!loopback) {
    warnings.push(
      `warning: listening on ${server.host}: reachable from other machines on the network; only the token guards it`,
    );
  }
  return { out: lines, err: warnings };
}

/**
 * `car serve`: the HTTP API and web UI for this repo. It only watches and controls the runner (which
 * runs as its own process), so stopping the server with Ctrl-C or SIGTERM leaves a run going.
 */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: "serve",
  describe: "Start the HTTP API and web UI (defaults: server.host and server.port from config.yml)",
  builder: (y) =>
    y
      .option("host", { type: "string", describe: "Address to listen on (default server.host, 127.0.0.1)" })
      .option("port", {
        type: "number",
        describe: "Port to listen on, 0 for any free port (default server.port, 4173)",
      })
      // `--no-auth` is yargs' negation of `auth`; only the negated form is shown.
      .option("auth", { type: "boolean", hidden: true })
      .option("no-auth", {
        type: "boolean",
        describe:
          "No token at all (loopback addresses only): any local program or user can control the runner",
      })
      .check(checkListenOptions)
      .example("car serve", "http://127.0.0.1:4173/?token=… (a token made for you, kept for next time)")
      .example(
        "CAR_AUTH_TOKEN=<16+ chars> car serve --host 0.0.0.0",
        "reachable from your phone, token required",
      ) as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const { isLoopbackHost, startServer } = await import("@codex-autorunner/server");
    const server = await startServer({
      root,
      host: argv.host,
      port: argv.port,
      ...(argv.auth === false ? { token: null } : {}),
    });
    const banner = serveBanner(server, root, isLoopbackHost(server.host));
    // One write each, so a reader never sees half a banner.
    out(banner.out.join("\n"));
    if (banner.err.length > 0) err(banner.err.join("\n"));
    await serveUntilSignal(server, "codex-autorunner server stopping (%s); a running loop keeps running");
  },
};

/** yargs check of `--host` / `--port` (shared with `car hub serve`). */
export function checkListenOptions(a: { host?: string; port?: number }): true {
  const p = a.port;
  if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 65535)) {
    throw new Error("--port must be an integer from 0 to 65535");
  }
  if (a.host !== undefined && a.host.trim() === "") throw new Error("--host must not be empty");
  return true;
}

/** Keeps the command (and so the process) alive until SIGINT/SIGTERM, then closes the server (exit 0). */
export async function serveUntilSignal(server: { close(): Promise<void> }, message: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      out(message.replace("%s", signal));
      server.close().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  setExitCode(0);
}
