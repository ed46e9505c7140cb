import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_BIN } from "./paths.mjs";
import { runOk } from "./proc.mjs";

/**
 * A real git repo initialised by `car init`, with config.yml replaced so the agent is `agent`
 * (an argv array: binary + args, plain-text backend) and the loop does not sleep between runs.
 * Returns { root, dir, log, index }.
 */
export async function makeRepo(root, { agent = ["true"], todo = "- [ ] benchmark item\n" } = {}) {
  mkdirSync(root, { recursive: true });
  await runOk("git", ["init", "-q"], { cwd: root });
  await runOk(process.execPath, [CLI_BIN, "init"], { cwd: root });
  const dir = join(root, ".codex-autorunner");
  const [binary, ...args] = agent;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 1",
      "codex:",
      `  binary: ${JSON.stringify(binary)}`,
      `  args: ${JSON.stringify(args)}`,
      "runner:",
      "  sleep_seconds: 0",
      "  max_retries: 0",
      "  no_progress_runs: 0",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "TODO.md"), `# TODO\n\n${todo}`);
  return { root, dir, log: join(dir, "codex-autorunner.log"), index: join(dir, "codex-autorunner.log.idx") };
}
