import type { HubRepo, HubReposBody } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import { loadCore, out } from "../common.js";
import { type HubArgs, hubRoot, withHub, withRoot } from "./common.js";

interface HubListArgs extends HubArgs {
  json?: boolean;
}

/**
 * One repo as a line (plus its error, indented, below), terminal-safe. A folder name may hold a
 * newline: shown as `\n`, so no name can forge a line of the list.
 */
function formatHubRepo(repo: HubRepo, terminalSafe: (text: string) => string): string[] {
  const safe = (text: string) => terminalSafe(text).replace(/\n/g, "\\n");
  const parts = [safe(repo.id), repo.status];
  if (repo.queued) parts.push(`(queue #${repo.queued.position}${repo.queued.once ? ", once" : ""})`);
  if (repo.done_count !== null && repo.outstanding_count !== null)
    parts.push(`${repo.done_count}/${repo.done_count + repo.outstanding_count} done`);
  if (repo.running && repo.runner_pid !== null) parts.push(`pid ${repo.runner_pid}`);
  if (repo.last_run)
    parts.push(
      `last run #${repo.last_run.id}${repo.last_run.exit_code === null ? "" : ` exit ${repo.last_run.exit_code}`}`,
    );
  parts.push(safe(repo.path));
  const lines = [parts.join("  ")];
  if (repo.error) for (const line of terminalSafe(repo.error).split("\n")) lines.push(`    ${line}`);
  return lines;
}

export function formatHubList(body: HubReposBody, safe: (text: string) => string): string[] {
  const cap = body.max_concurrent_runs === null ? "no cap" : `cap ${body.max_concurrent_runs}`;
  const head = `hub ${safe(body.root)}: ${body.repos.length} repo${body.repos.length === 1 ? "" : "s"}, ${body.active_runs} running (${cap})`;
  return [head, ...body.repos.flatMap((r) => formatHubRepo(r, safe))];
}

/** `car hub list`: every repo of the hub, read from the files (no server needed). */
export const hubListCommand: CommandModule<object, HubListArgs> = {
  command: "list",
  describe: "List the hub's repos: status, progress, runner, last run, queue",
  builder: (y) =>
    withRoot(y)
      .option("json", { type: "boolean", default: false, describe: "Print the GET /hub/repos body as JSON" })
      .example("car hub list --root ~/src", "one line per repo")
      .example("car hub list --json | jq '.repos[].status'", "for scripts") as never,
  handler: async (argv) => {
    const root = await hubRoot(argv);
    const body = await withHub(root, (hub) => hub.list());
    if (argv.json) {
      out(JSON.stringify(body, null, 2));
      return;
    }
    const { makeTerminalSafe } = await loadCore();
    for (const line of formatHubList(body, makeTerminalSafe)) out(line);
  },
};
