import type { ReopenedItem } from "./reopen.js";
import { describeResult, type VerifyCommandResult, type VerifyRecord } from "./result.js";
import type { VerifyOnFail } from "./settings.js";

/**
 * What the next run is told after a verification failed (on_fail: reopen): a `<VERIFY_FAILED>` block
 * naming the command, how it ended and the tail of its output, plus the items that were reopened.
 * The built-in template shows it through the `{{VERIFY}}` placeholder, which custom templates
 * can use too; its value is the block followed by a blank line, or "" when there is nothing to say
 * (like `{{EXTRAS}}`, so the template needs no blank line of its own around it).
 */

export interface VerifyFailure {
  /** The previous run's id, for "after run 12". */
  runId?: number | null;
  /** The command that failed (its output_tail is already bounded by output_max_chars). */
  failed: Pick<
    VerifyCommandResult,
    "name" | "command" | "passed" | "exit_code" | "signal" | "timed_out" | "timeout_seconds" | "output_tail"
  >;
  /** The items unticked because of it. */
  reopened: readonly Pick<ReopenedItem, "text">[];
}

/** The `<VERIFY_FAILED>` block, without a trailing newline. */
export function renderVerifyFailed(f: VerifyFailure): string {
  const c = f.failed;
  const after = f.runId != null ? `after run ${f.runId}` : "after the previous run";
  const lines = [
    "<VERIFY_FAILED>",
    `The harness ran its verification commands ${after} and one failed, so that run's work is not done.`,
    `Command: ${c.name} (\`${oneLine(c.command)}\`)`,
    `Result: ${describeResult(c)}`,
  ];
  if (f.reopened.length > 0) {
    lines.push("Reopened TODO items (that run ticked them; tick them again once the command passes):");
    for (const item of f.reopened) lines.push(`- ${item.text}`);
  }
  const output = c.output_tail.replace(/\n+$/, "");
  lines.push("Output (tail):", output === "" ? "(no output)" : output);
  lines.push("Fix the cause of this failure before anything else.", "</VERIFY_FAILED>");
  return lines.join("\n");
}

/** The value of `{{VERIFY}}`: the block and a blank line after a failure, "" otherwise. */
export function verifyPlaceholderValue(failure: VerifyFailure | null): string {
  return failure ? `${renderVerifyFailed(failure)}\n\n` : "";
}

/**
 * What the next prompt says about the previous run's verification (its record's `verify`): the
 * failure, or null when it passed, was aborted, did not run, or `on_fail` is `continue` (record
 * only). Taken from the record, so a restarted loop still tells its first run.
 */
export function verifyFailureForPrompt(
  record: VerifyRecord | null | undefined,
  onFail: VerifyOnFail,
  runId?: number | null,
): VerifyFailure | null {
  if (!record || record.passed || record.aborted || onFail === "continue") return null;
  const failed = record.commands.findLast((c) => !c.passed);
  if (!failed) return null;
  return { runId: runId ?? null, failed, reopened: record.reopened };
}

/** A multi-line shell command shown on one line (a log line or a prompt line). */
export function oneLine(command: string): string {
  return command
    .replace(/\0/g, "\u2400")
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ⏎ ");
}
