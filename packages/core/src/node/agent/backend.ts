import type { LogStream, TokenUsage } from "../../types.js";

/**
 * Seam between the loop engine and what an agent prints. The engine spawns the process and feeds
 * every raw output line to a parser; the parser decides what goes in the human log and what is
 * learnt about the run. `plain` passes lines through; `codex-json` (codex exec --json) and
 * `claude-json` (claude -p --output-format stream-json) turn JSONL events into readable lines and a summary.
 */
export type FailureKind = "transient" | "rate_limit" | "fatal";

export interface AgentFailure {
  kind: FailureKind;
  message: string;
  /** For rate limits: how long to wait before retrying, when the message says. */
  retryAfterMs?: number;
}

export interface AgentRunSummary {
  /** null when the run succeeded as far as the output tells. */
  failure: AgentFailure | null;
  thread_id: string | null;
  final_message: string | null;
  usage: TokenUsage | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  files_changed: string[];
  /** What the run cost in USD, when the agent says (Claude Code); null or absent otherwise. */
  cost_usd?: number | null;
}

export interface RunOutputParser {
  /** One raw line (no trailing newline) from the agent → the readable lines to log for it (maybe none). */
  push(stream: LogStream, raw: string): string[];
  /** The same lines made as they are iterated, for huge events (logged in batches). */
  lines?(stream: LogStream, raw: string): Iterable<string>;
  /**
   * push() returns `[raw]` for every line and nothing depends on seeing them: the engine logs a
   * chunk's lines as a block without calling push() (plain output, a million lines a second).
   */
  readonly verbatim?: boolean;
  /** The command the agent started last, when the output tells (JSON backends); for status while quiet. */
  lastCommand?(): string | null;
  /** Called once after the process exited. */
  finish(exit: { code: number | null; signal: string | null }): AgentRunSummary;
}

export interface AgentBackend {
  readonly name: "plain" | "codex-json" | "claude-json";
  /** Whether raw stdout lines should also be kept verbatim in runs/<id>.jsonl. */
  readonly keepsRawEvents: boolean;
  /** `cwd` (the repo root) lets a backend report changed files relative to the repo. */
  createParser(options?: { cwd?: string; finalMessageMaxChars?: number }): RunOutputParser;
}
