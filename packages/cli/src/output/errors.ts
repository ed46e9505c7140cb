import type { ErrorCode } from "@codex-autorunner/core";
import { makeTerminalSafe } from "@codex-autorunner/core/node/lite";
import { carErrorCode, UsageError } from "../exit-codes.js";
import { stderrColors } from "./tty.js";

/** What to do next, per error code. Kept short: one line the user can act on. */
function hintFor(code: ErrorCode, details: Record<string, unknown>): string | null {
  switch (code) {
    case "CONFIG_NOT_FOUND":
      return "run `car init` in the repository first (or pass --repo PATH)";
    case "NOT_A_REPO":
      return "run inside a git repository, pass --repo PATH, or use `car init --git-init`";
    case "ALREADY_INITIALIZED":
      return "pass --force to overwrite the existing files";
    case "LOCK_HELD":
      return typeof details.pid === "number"
        ? `runner pid ${details.pid} is active: \`car stop\` ends it after its run, \`car kill\` now; --force takes over`
        : "`car stop` or `car kill` the active runner, or pass --force";
    case "LOCK_CORRUPT":
      return "check .codex-autorunner/lock; `car resume --force` replaces it";
    case "STATE_CORRUPT":
      return "fix or delete .codex-autorunner/state.json (it is never reset silently)";
    case "AGENT_NOT_FOUND":
      return `set ${typeof details.key === "string" ? details.key : "codex.binary"} in .codex-autorunner/config.yml; \`car doctor\` checks it`;
    case "AGENT_FAILED":
      return typeof details.runId === "number" ? `see \`car log --run ${details.runId}\`` : "see `car log`";
    case "DOC_MISSING":
      return "create the file or change docs.* in .codex-autorunner/config.yml";
    case "NOT_RUNNING":
      return "`car status` shows the runner state";
    case "TEMPLATE_INVALID":
      return "known placeholders: {{TODO}} {{PROGRESS}} {{OPINIONS}} {{PREV_RUN_OUTPUT}} {{TODO_PATH}} {{PROGRESS_PATH}} {{OPINIONS_PATH}} {{EXTRAS}}";
    case "RUN_NOT_FOUND":
      return "`car log --tail 20` shows the latest runs";
    default:
      return null;
  }
}

const CONTEXT_CODES = /^(CONFIG_|STATE_|LOCK_CORRUPT|DOC_|TEMPLATE_)/;

/** A hint is dropped when the message already names its key advice (a flag or a `command`). */
function alreadySaid(message: string, hint: string): boolean {
  const keys = hint.match(/`[^`]+`|--[a-z-]+/g) ?? [];
  return keys.length > 0 && message.includes(keys[0]!.replaceAll("`", ""));
}

/**
 * The lines printed to stderr for an error: `car: <message>`, context the message lacks, a hint.
 * Messages can quote agent output, git's stderr or file contents, so they are made terminal-safe
 * (before our own colours are added).
 */
export function formatError(err: unknown): string[] {
  const c = stderrColors();
  const code = carErrorCode(err);
  if (err instanceof UsageError) {
    return [
      `${c.red("car:")} ${makeTerminalSafe(err.message)}`,
      c.dim("Run `car --help` (or `car <command> --help`) for usage."),
    ];
  }
  if (code) {
    const raw = err as { message: string; details?: Record<string, unknown> };
    const e = { message: makeTerminalSafe(raw.message), details: raw.details };
    const details = e.details ?? {};
    const lines = [`${c.red("car:")} ${e.message}`];
    const ctx: string[] = [];
    const has = (v: unknown): v is string | number =>
      (typeof v === "string" || typeof v === "number") && v !== "";
    if (has(details.file) && !e.message.includes(String(details.file))) ctx.push(`file: ${details.file}`);
    if (has(details.key) && !e.message.includes(String(details.key))) ctx.push(`key: ${details.key}`);
    if (has(details.line) && !e.message.includes(`line ${details.line}`)) {
      ctx.push(`line ${details.line}${has(details.column) ? `, column ${details.column}` : ""}`);
    }
    if (has(details.expected) && !e.message.includes(String(details.expected))) {
      ctx.push(`expected: ${details.expected}`);
    }
    if (has(details.found) && !e.message.includes(String(details.found))) ctx.push(`found: ${details.found}`);
    // File/key context matters for errors about a file's content; elsewhere it is noise.
    if (ctx.length > 0 && CONTEXT_CODES.test(code)) lines.push(`  ${makeTerminalSafe(ctx.join("; "))}`);
    const hint = hintFor(code, details);
    if (hint && !alreadySaid(e.message, hint)) lines.push(c.dim(`hint: ${hint}`));
    return lines;
  }
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`${c.red("car:")} internal error: ${makeTerminalSafe(message)}`];
  if (err instanceof Error && err.stack && process.env.CAR_DEBUG) lines.push(err.stack);
  else lines.push(c.dim("hint: set CAR_DEBUG=1 for a stack trace, and please report this"));
  return lines;
}

export function printError(err: unknown): void {
  process.stderr.write(`${formatError(err).join("\n")}\n`);
}
