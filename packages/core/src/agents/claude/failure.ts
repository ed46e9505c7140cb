/**
 * What a failed Claude Code run means for the loop: retry soon (transient), wait for a limit to reset
 * (rate_limit), or stop (fatal). Claude Code reports the HTTP status of the failed API call
 * (`api_error_status`), which decides first; without one, the text goes through the same patterns
 * as codex's messages. Recorded outputs of claude-code 2.1.332 are in ./fixtures.
 */
import { type CodexFailureClass, classifyCodexFailure, parseRetryAfter } from "../../codex/failure.js";

export type ClaudeFailureClass = CodexFailureClass;

export interface ClaudeFailureInput {
  /** HTTP status of the failed API call (`api_error_status`); null for connection errors. */
  status: number | null;
  /** Claude's error text ("API Error: Request rejected (429) · …"). */
  text: string;
  /** Claude's `api_error` tag when it gives one ("connection_failed"). */
  apiError?: string | null;
}

// Claude's wording for a dropped or refused connection; "ECONNRESET" matches none of codex's patterns.
const CONNECTION_LOST =
  /connection to the api was lost|unable to connect to the api|ECONNRESET|ECONNREFUSED|socket hang up/i;

export function isClaudeConnectionLost(text: string): boolean {
  return CONNECTION_LOST.test(text);
}

/** Classify a failed Claude Code run. `now` anchors "resets at …" in a 429's text. */
export function classifyClaudeFailure(input: ClaudeFailureInput, now: Date = new Date()): ClaudeFailureClass {
  const { status, text } = input;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(text, now);
    return retryAfterMs === undefined ? { kind: "rate_limit" } : { kind: "rate_limit", retryAfterMs };
  }
  if (status !== null) {
    if (status >= 500 || status === 408 || status === 409) return { kind: "transient" };
    if (status === 400 || status === 401 || status === 403 || status === 404 || status === 413) {
      return { kind: "fatal" };
    }
  }
  if (input.apiError === "connection_failed" || isClaudeConnectionLost(text)) return { kind: "transient" };
  return classifyCodexFailure(text, now);
}
