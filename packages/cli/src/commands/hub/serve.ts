import type { CommandModule } from "yargs";
import { err, out } from "../common.js";
import { checkListenOptions, serveBanner, serveUntilSignal } from "../serve.js";
import { type HubArgs, hubRoot, withRoot } from "./common.js";

interface HubServeArgs extends HubArgs {
  host?: string;
  port?: number;
  "max-concurrent-runs"?: number;
  /** false with `--no-auth`. */
  auth?: boolean;
}

/**
 * `car hub serve`: one server for every repo of the hub (its page at `/`, each repo's API and UI
 * under `/repos/<id>/`). Like `car serve` it only watches and starts runners, which run as their own
 * processes: stopping the hub leaves runs going (and queued starts queued, on disk).
 */
export const hubServeCommand: CommandModule<object, HubServeArgs> = {
  command: "serve",
  describe: "Serve every repo under the root: the hub page, its API and each repo's own",
  builder: (y) =>
    withRoot(y)
      .option("host", { type: "string", describe: "Address to listen on (default server.host, 127.0.0.1)" })
      .option("port", { type: "number", describe: "Port, 0 for any free one (default server.port, 4180)" })
      .option("max-concurrent-runs", {
        type: "number",
        describe:
          "Runners alive at once across the hub; more starts wait in a queue (default max_concurrent_runs)",
      })
      .option("auth", { type: "boolean", hidden: true })
      .option("no-auth", {
        type: "boolean",
        describe:
          "No token at all (loopback addresses only): any local program or user can control the runners",
      })
      .check((a) => {
        const n = a["max-concurrent-runs"];
        if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
          throw new Error("--max-concurrent-runs must be an integer ≥ 1");
        }
        return checkListenOptions(a);
      })
      .example("car hub serve --root ~/src", "every repo under ~/src at http://127.0.0.1:4180/?token=…")
      .example(
        "car hub serve --max-concurrent-runs 2",
        "at most two agents at once; more starts queue",
      ) as never,
  handler: async (argv) => {
    const root = await hubRoot(argv);
    const { isLoopbackHost, startHubServer } = await import("@codex-autorunner/server");
    const server = await startHubServer({
      root,
      host: argv.host,
      port: argv.port,
      ...(argv["max-concurrent-runs"] !== undefined
        ? { maxConcurrentRuns: argv["max-concurrent-runs"] }
        : {}),
      ...(argv.auth === false ? { token: null } : {}),
    });
    const banner = serveBanner(server, root, isLoopbackHost(server.host), {
      name: "codex-autorunner hub",
      settings: "hub.yml",
    });
    const cap = server.registry.maxConcurrentRuns;
    banner.out.push(
      `repos: ${(await server.registry.list()).repos.length}; max concurrent runs: ${cap ?? "no cap"}`,
    );
    out(banner.out.join("\n"));
    if (banner.err.length > 0) err(banner.err.join("\n"));
    await serveUntilSignal(server, "codex-autorunner hub stopping (%s); running loops keep running");
  },
};
