/**
 * Backend for `claude -p --output-format stream-json --verbose`: stdout is JSONL events, turned into
 * readable log lines by the pure accumulator; stderr is logged as is. A run is judged by its result
 * event first (is_error + api_error_status) and the exit code second: claude exits 1 after an API
 * error, but a run killed or crashed before its result tells only by the exit and stderr.
 */

import { createClaudeAccumulator } from "../../agents/claude/events.js";
import { classifyClaudeFailure, isClaudeConnectionLost } from "../../agents/claude/failure.js";
import type { AgentBackend, AgentFailure, AgentRunSummary } from "./backend.js";
import { DROPPED_STREAM } from "./codex-json.js";
import { createEventParser, type EventParser } from "./event-parser.js";

export interface ClaudeJsonParserOptions {
  /** Working directory of claude: changed files inside it are reported relative to it. */
  cwd?: string;
  /** Keep only the last this many characters of the final message; default: all of it. */
  finalMessageMaxChars?: number;
  /** Clock for "resets at …" in a rate limit's message (tests). */
  now?: () => Date;
}

/** Its lines are made lazily (see event-parser.ts). */
export type ClaudeJsonParser = EventParser;

/** What claude 2.1 prints when run as root with bypassPermissions and no IS_SANDBOX=1. */
const ROOT_REFUSAL = /cannot be used with root\/sudo privileges/;

export function createClaudeJsonParser(options: ClaudeJsonParserOptions = {}): ClaudeJsonParser {
  const acc = createClaudeAccumulator({
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.finalMessageMaxChars !== undefined
      ? { finalMessageMaxChars: options.finalMessageMaxChars }
      : {}),
  });
  const now = options.now ?? (() => new Date());
  return createEventParser(acc, (exit, stderrLines): AgentRunSummary => {
    const s = acc.summary();
    const apiError = { status: s.api_error_status, apiError: s.api_error };
    let failure: AgentFailure | null = null;
    if (s.resultSeen) {
      if (s.is_error) {
        const message = s.error ?? "claude reported an error";
        failure = { message, ...classifyClaudeFailure({ ...apiError, text: message }, now()) };
      }
    } else if (exit.code !== 0) {
      const how = exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`;
      const stderr = stderrLines.at(-1)?.trim() ?? null;
      const detail = s.error ?? stderr;
      // Its own words name the flag, not the way out.
      const rootHint = ROOT_REFUSAL.test(stderr ?? "")
        ? " (as root, Claude Code needs IS_SANDBOX=1 in the environment to skip permission prompts; see `car doctor`)"
        : "";
      const message = detail
        ? `claude exited with ${how}: ${detail}${rootHint}`
        : `claude exited with ${how}`;
      const hint = stderrLines.join("\n");
      if (s.error !== null) {
        // An "API Error: …" message came, then claude died before its result: the error decides.
        failure = { message, ...classifyClaudeFailure({ ...apiError, text: s.error }, now()) };
      } else if (DROPPED_STREAM.test(hint) || isClaudeConnectionLost(hint)) {
        failure = { kind: "transient", message };
      } else {
        failure = { kind: "fatal", message };
      }
    } else {
      failure = { kind: "fatal", message: "claude exited without a result" };
    }
    return {
      failure,
      thread_id: s.thread_id,
      final_message: s.final_message,
      usage: s.usage,
      commands: s.commands,
      files_changed: s.files_changed,
      cost_usd: s.cost_usd,
    };
  });
}

export interface ClaudeJsonBackend extends AgentBackend {
  createParser(options?: ClaudeJsonParserOptions): ClaudeJsonParser;
}

export const claudeJsonBackend: ClaudeJsonBackend = {
  name: "claude-json",
  keepsRawEvents: true,
  createParser(options?: ClaudeJsonParserOptions) {
    return createClaudeJsonParser(options);
  },
};
