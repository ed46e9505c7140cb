import { claudeJsonBackend } from "./claude-json.js";
import type { AgentDefinition } from "./definition.js";
import { plainBackend } from "./plain.js";

/** Claude Code headless (`claude -p`): `--output-format stream-json` prints JSONL events. */
export const claudeAgent: AgentDefinition = {
  name: "claude",
  section: "claude",
  npmPackage: "@anthropic-ai/claude-code",
  command: (config, purpose) => ({
    binary: config.claude.binary,
    args: purpose === "chat" ? config.claude.chat_args : config.claude.args,
  }),
  backend: (args) => (args.includes("stream-json") ? claudeJsonBackend : plainBackend),
  // Claude Code refuses to skip permission prompts as root unless told it runs in a sandbox.
  environmentProblems: (args, env, isRoot) =>
    isRoot &&
    args.some((a) => a === "bypassPermissions" || a === "--dangerously-skip-permissions") &&
    env.IS_SANDBOX !== "1"
      ? [
          "running as root, Claude Code refuses --permission-mode bypassPermissions unless IS_SANDBOX=1 is set " +
            "(set it only when this machine is a sandbox or container you are willing to let the agent change)",
        ]
      : [],
};
