/**
 * Backend for `codex exec --json`: stdout is JSONL events, turned into readable log lines by the
 * pure accumulator; stderr (codex's warnings and tracing) is logged as is. A run is judged by
 * turn.completed / turn.failed first and the exit code second, because codex prints `error`
 * events ("Reconnecting… 1/5") in runs that then succeed.
 */

import { createCodexAccumulator } from "../../codex/events.js";
import { classifyCodexFailure } from "../../codex/failure.js";
import type { AgentBackend, AgentFailure, AgentRunSummary } from "./backend.js";
import { createEventParser, type EventParser } from "./event-parser.js";

// Output that means the connection to the model dropped (worth a retry) rather than a bad setup.
export const DROPPED_STREAM =
  /stream disconnected|disconnected before completion|error sending request|connection (?:reset|refused|closed)|reconnecting|broken pipe|timed? ?out/i;

export interface CodexJsonParserOptions {
  /** Working directory of codex: file changes inside it are reported relative to it. */
  cwd?: string;
  /**
   * Keep only the last this many characters of the final message (the loop passes
   * prompt.prev_run_max_chars: the next prompt uses no more); default: all of it.
   */
  finalMessageMaxChars?: number;
}

/** Its lines are made lazily (see event-parser.ts). */
export type CodexJsonParser = EventParser;

export function createCodexJsonParser(options: CodexJsonParserOptions = {}): CodexJsonParser {
  const acc = createCodexAccumulator({
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.finalMessageMaxChars !== undefined
      ? { finalMessageMaxChars: options.finalMessageMaxChars }
      : {}),
  });
  return createEventParser(acc, (exit, stderrLines): AgentRunSummary => {
    const s = acc.summary();
    let failure: AgentFailure | null = null;
    if (s.turnFailedMessage !== null) {
      failure = { message: s.turnFailedMessage, ...classifyCodexFailure(s.turnFailedMessage) };
    } else if (!s.turnCompleted && exit.code !== 0) {
      const how = exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`;
      // codex prints config/auth problems on stderr and exits 1 without any turn event.
      const detail = s.lastErrorMessage ?? meaningfulStderr(stderrLines);
      const message = detail ? `codex exited with ${how}: ${detail}` : `codex exited with ${how}`;
      const hint = [s.lastErrorMessage ?? "", ...stderrLines].join("\n");
      if (DROPPED_STREAM.test(hint)) {
        failure = { kind: "transient", message };
      } else if (s.lastErrorMessage) {
        failure = { message, ...classifyCodexFailure(s.lastErrorMessage) };
      } else {
        failure = { kind: "fatal", message };
      }
    }
    return {
      failure,
      thread_id: s.thread_id,
      final_message: s.final_message,
      usage: s.usage,
      commands: s.commands,
      files_changed: s.files_changed,
    };
  });
}

/** Last stderr line that is not codex's harmless start-up noise. */
function meaningfulStderr(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]?.trim() ?? "";
    if (l.length === 0 || /^WARNING: proceeding/.test(l)) continue;
    return l;
  }
  return null;
}

export interface CodexJsonBackend extends AgentBackend {
  createParser(options?: CodexJsonParserOptions): CodexJsonParser;
}

export const codexJsonBackend: CodexJsonBackend = {
  name: "codex-json",
  keepsRawEvents: true,
  createParser(options?: CodexJsonParserOptions) {
    return createCodexJsonParser(options);
  },
};
