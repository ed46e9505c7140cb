import { codexJsonBackend } from "./codex-json.js";
import type { AgentDefinition } from "./definition.js";
import { plainBackend } from "./plain.js";

/** The Codex CLI: `codex exec --json` prints JSONL events; other args (the original's) plain text. */
export const codexAgent: AgentDefinition = {
  name: "codex",
  section: "codex",
  npmPackage: "@openai/codex",
  command: (config, purpose) => ({
    binary: config.codex.binary,
    args: purpose === "chat" ? config.chat.args : config.codex.args,
  }),
  backend: (args) => (args.includes("--json") ? codexJsonBackend : plainBackend),
};
