import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_BIN } from "./paths.mjs";
import { runOk } from "./proc.mjs";

/** The loop settings of every bench repo: no sleep, no retries, no progress check (unless overridden). */
const RUNNER = { sleep_seconds: 0, max_retries: 0, no_progress_runs: 0 };

/**
 * A string as a YAML scalar in the plain subset `car init` writes (config-yaml-subset.ts), so the
 * bench's configs load the way a user's do (no js-yaml, no zod): double quotes when that needs no
 * escape, else single quotes.
 */
export function yamlString(s) {
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  if (/^[\x20-\x26\x28-\x7e]*$/.test(s)) return `'${s}'`;
  throw new Error(`bench: ${JSON.stringify(s)} cannot be written as a plain YAML scalar`);
}

/**
 * A real git repo initialised by `car init`, with config.yml replaced so the agent is `agent`
 * (an argv array: binary + args; `--json` among them selects the codex-json backend) and the loop does
 * not sleep between runs (`runner` overrides those settings). `section: "claude"` puts the agent in the
 * claude section and makes it runner.agent (`stream-json` among its args selects the claude-json
 * backend). Returns { root, dir, log, index }.
 */
export async function makeRepo(
  root,
  { agent = ["true"], todo = "- [ ] benchmark item\n", runner = {}, section = "codex" } = {},
) {
  mkdirSync(root, { recursive: true });
  await runOk("git", ["init", "-q"], { cwd: root });
  await runOk(process.execPath, [CLI_BIN, "init"], { cwd: root });
  const dir = join(root, ".codex-autorunner");
  const [binary, ...args] = agent;
  const settings = { ...RUNNER, ...(section === "codex" ? {} : { agent: section }), ...runner };
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 1",
      `${section}:`,
      `  binary: ${yamlString(binary)}`,
      ...(args.length ? ["  args:", ...args.map((a) => `    - ${yamlString(a)}`)] : ["  args: []"]),
      "runner:",
      ...Object.entries(settings).map(([k, v]) => `  ${k}: ${v}`),
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "TODO.md"), `# TODO\n\n${todo}`);
  return { root, dir, log: join(dir, "codex-autorunner.log"), index: join(dir, "codex-autorunner.log.idx") };
}
