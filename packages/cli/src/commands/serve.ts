import type { CommandModule } from "yargs";
import { type GlobalArgs, out, repoRoot, setExitCode } from "./common.js";

interface ServeArgs extends GlobalArgs {
  host?: string;
  port?: number;
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
      .check((a) => {
        const p = a.port;
        if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 65535)) {
          throw new Error("--port must be an integer from 0 to 65535");
        }
        if (a.host !== undefined && a.host.trim() === "") throw new Error("--host must not be empty");
        return true;
      })
      .example("car serve", "http://127.0.0.1:4173")
      .example(
        "CAR_AUTH_TOKEN=secret car serve --host 0.0.0.0",
        "reachable from your phone, token required",
      ) as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const { startServer } = await import("@codex-autorunner/server");
    const server = await startServer({ root, host: argv.host, port: argv.port });
    out(`codex-autorunner serving ${server.url}`);
    // Keep the command (and so the process) alive until a signal asks us to stop.
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        out(`codex-autorunner server stopping (${signal}); a running loop keeps running`);
        server.close().then(resolve, resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    setExitCode(0);
  },
};
