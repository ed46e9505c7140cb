/**
 * The coding agents car can run. Dependency-free so the config spec, records and the web UI can all
 * import the one list; adding an agent starts here.
 */
export const AGENT_NAMES = ["codex", "claude"] as const;

export type AgentName = (typeof AGENT_NAMES)[number];

export function isAgentName(x: unknown): x is AgentName {
  return typeof x === "string" && (AGENT_NAMES as readonly string[]).includes(x);
}
