import type { LogStream } from "../types.js";
import { oneLine } from "./prompt.js";
import { describeResult, formatDuration, type VerifyCommandResult, type VerifyOutcome } from "./result.js";
import { VERIFY_NAME_PATTERN } from "./settings.js";

/**
 * Verify output in the run's log block. The log's line grammar (log/format.ts) has no room for a
 * third kind of line, so the mark goes in the text: a command's output lines keep their stream and
 * read `[verify <name>] <line>`; the harness's own lines about it follow the `[car] ` convention
 * (docs/decisions.md): `[car] verify test: running \`pnpm test\``, `[car] verify test: passed in 1.2 s`.
 * Names match VERIFY_NAME_PATTERN (no spaces or `]`), so the mark parses back unambiguously.
 */

const OUTPUT_RE = new RegExp(`^\\[verify (${VERIFY_NAME_PATTERN.source.slice(1, -1)})\\](?: (.*))?$`, "s");

/** One line of a verify command's output, marked. */
export function formatVerifyOutput(name: string, text: string): string {
  return text === "" ? `[verify ${name}]` : `[verify ${name}] ${text}`;
}

/** The command and its text for a marked output line (a log line's text part); null otherwise. */
export function parseVerifyOutput(text: string): { name: string; text: string } | null {
  const m = OUTPUT_RE.exec(text);
  return m ? { name: m[1] as string, text: m[2] ?? "" } : null;
}

export interface VerifyLogLine {
  stream: LogStream;
  text: string;
}

/** Before a command runs. */
export function formatVerifyStart(
  name: string,
  command: string,
  timeoutSeconds: number | null,
): VerifyLogLine {
  const limit = timeoutSeconds !== null ? ` (time limit ${timeoutSeconds} s)` : "";
  return { stream: "stdout", text: `[car] verify ${name}: running \`${oneLine(command)}\`${limit}` };
}

/** After a command ended: stdout when it passed, stderr when it failed. */
export function formatVerifyEnd(r: VerifyCommandResult): VerifyLogLine {
  const took = formatDuration(r.duration_ms);
  return r.passed
    ? { stream: "stdout", text: `[car] verify ${r.name}: passed in ${took}` }
    : { stream: "stderr", text: `[car] verify ${r.name}: FAILED (${describeResult(r)}) after ${took}` };
}

/** After the sequence: the run's verdict. */
export function formatVerifyVerdict(o: VerifyOutcome): VerifyLogLine {
  if (o.aborted) return { stream: "stderr", text: "[car] verification aborted" };
  if (o.passed) {
    const n = o.commands.length;
    return { stream: "stdout", text: `[car] verification passed (${n} command${n === 1 ? "" : "s"})` };
  }
  return { stream: "stderr", text: `[car] verification failed: ${o.failed_command ?? "unknown command"}` };
}
