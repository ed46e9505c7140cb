import type { AgentName } from "../../agents/names.js";
import type { Config } from "../../config/schema.js";
import type { AgentBackend } from "./backend.js";

/**
 * One agent car can run: where its program and arguments come from in config.yml, and how its output
 * is read. The engine, chat and doctor only speak this interface; adding an agent is its name
 * (agents/names.ts), its config section (config/spec.ts), one file implementing this, and a line in
 * agents.ts.
 */
export interface AgentCommand {
  binary: string;
  /** The prompt always goes on stdin. */
  args: string[];
}

export interface AgentDefinition {
  readonly name: AgentName;
  /** The config.yml section holding `binary` and the args (errors and `car doctor` name it). */
  readonly section: string;
  /** The npm package that installs the program (`car doctor`'s hint). */
  readonly npmPackage: string;
  /** The program and args of a loop run, or of a chat (read-only). */
  command(config: Config, purpose: "run" | "chat"): AgentCommand;
  /** The reader of its output for these args (structured events, or plain lines). */
  backend(args: readonly string[]): AgentBackend;
  /** What would stop it from running in this environment, for `car doctor` ([] when nothing). */
  environmentProblems?(args: readonly string[], env: NodeJS.ProcessEnv, isRoot: boolean): string[];
}
