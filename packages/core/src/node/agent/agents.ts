import type { AgentName } from "../../agents/names.js";
import { claudeAgent } from "./claude.js";
import { codexAgent } from "./codex.js";
import type { AgentDefinition } from "./definition.js";

/** Every agent by name (one line per agent). */
export const AGENTS: Readonly<Record<AgentName, AgentDefinition>> = {
  codex: codexAgent,
  claude: claudeAgent,
};

export function agentDefinition(name: AgentName): AgentDefinition {
  return AGENTS[name];
}
