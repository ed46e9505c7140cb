import { claudeJsonBackend } from "./claude-json.js";
import type { AgentDefinition } from "./definition.js";
import { plainBackend } from "./plain.js";

/** `--flag value` or `--flag=value`: whether `args` give `flag` that value. */
function hasOption(args: readonly string[], flag: string, value: string): boolean {
  return args.some((a, i) => a === `${flag}=${value}` || (a === flag && args[i + 1] === value));
}

/** Claude Code headless (`claude -p`): `--output-format stream-json` prints JSONL events. */
export const claudeAgent: AgentDefinition = {
  name: "claude",
  section: "claude",
  npmPackage: "@anthropic-ai/claude-code",
  command: (config, purpose) => ({
    binary: config.claude.binary,
    args: purpose === "chat" ? config.claude.chat_args : config.claude.args,
  }),
  backend: (args) => (hasOption(args, "--output-format", "stream-json") ? claudeJsonBackend : plainBackend),
  // Claude Code refuses to skip permission prompts as root unless told it runs in a sandbox.
  environmentProblems: (args, env, isRoot) =>
    isRoot &&
    (hasOption(args, "--permission-mode", "bypassPermissions") ||
      args.includes("--dangerously-skip-permissions")) &&
    env.IS_SANDBOX !== "1"
      ? [
          "running as root, Claude Code refuses to skip permission prompts (--permission-mode " +
            "bypassPermissions, --dangerously-skip-permissions) unless IS_SANDBOX=1 is set (set it only when " +
            "this machine is a sandbox or container you are willing to let the agent change)",
        ]
      : [],
};
