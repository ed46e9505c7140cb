/**
 * `codex exec --json` events (codex-cli 0.169, `codex-rs/exec/src/exec_events.rs` upstream) and an
 * accumulator that turns the JSONL stream into readable log lines plus a run summary.
 * Pure: the runner feeds lines from the child process; nothing here touches the OS.
 */
import type { TokenUsage } from "../types.js";

export interface CodexUsage {
  input_tokens: number;
  cached_input_tokens?: number;
  /** Present since ~0.16x; not part of TokenUsage (it is already counted in input_tokens). */
  cache_write_input_tokens?: number;
  output_tokens: number;
  reasoning_output_tokens?: number;
}

export type CommandStatus = "in_progress" | "completed" | "failed" | "declined";

export interface AgentMessageItem {
  id: string;
  type: "agent_message";
  text: string;
}
export interface ReasoningItem {
  id: string;
  type: "reasoning";
  text: string;
}
export interface CommandExecutionItem {
  id: string;
  type: "command_execution";
  command: string;
  aggregated_output: string;
  exit_code: number | null;
  status: CommandStatus;
}
export interface FileUpdateChange {
  path: string;
  kind: "add" | "delete" | "update";
}
export interface FileChangeItem {
  id: string;
  type: "file_change";
  changes: FileUpdateChange[];
  status: "in_progress" | "completed" | "failed";
}
export interface McpToolCallItem {
  id: string;
  type: "mcp_tool_call";
  server: string;
  tool: string;
  status: "in_progress" | "completed" | "failed";
  error?: { message: string } | null;
}
export interface WebSearchItem {
  id: string;
  type: "web_search";
  query: string;
}
export interface TodoListItem {
  id: string;
  type: "todo_list";
  items: Array<{ text: string; completed: boolean }>;
}
export interface ErrorItem {
  id: string;
  type: "error";
  message: string;
}

export type CodexItem =
  | AgentMessageItem
  | ReasoningItem
  | CommandExecutionItem
  | FileChangeItem
  | McpToolCallItem
  | WebSearchItem
  | TodoListItem
  | ErrorItem;

export type CodexEvent =
  | { type: "thread.started"; thread_id: string }
  | { type: "turn.started" }
  | { type: "turn.completed"; usage: CodexUsage }
  | { type: "turn.failed"; error: { message: string } }
  | { type: "item.started" | "item.updated" | "item.completed"; item: CodexItem }
  | { type: "error"; message: string };

export const CODEX_EVENT_TYPES = [
  "thread.started",
  "turn.started",
  "turn.completed",
  "turn.failed",
  "item.started",
  "item.updated",
  "item.completed",
  "error",
] as const;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * One stdout line → a codex event, or null when the line is not a JSON object with a known `type`
 * (codex may print plain text, and newer versions may add event types: both are passed through).
 */
export function parseCodexEvent(line: string): CodexEvent | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.type !== "string") return null;
  if (!(CODEX_EVENT_TYPES as readonly string[]).includes(value.type)) return null;
  if (value.type.startsWith("item.") && !isRecord(value.item)) return null;
  return value as unknown as CodexEvent;
}

function looksLikeEvent(line: string): boolean {
  if (!line.trimStart().startsWith("{")) return false;
  try {
    const v: unknown = JSON.parse(line);
    return isRecord(v) && typeof v.type === "string";
  } catch {
    return false;
  }
}

export interface CodexRunSummary {
  thread_id: string | null;
  /** Text of the last agent_message item. */
  final_message: string | null;
  /** Sum over every turn.completed; null when no turn completed. */
  usage: TokenUsage | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  files_changed: string[];
  turnCompleted: boolean;
  turnFailedMessage: string | null;
  /** Last top-level `error` event or error item ("Reconnecting… 1/5" included). */
  lastErrorMessage: string | null;
}

export interface CodexAccumulator {
  /** One stdout line → readable lines for the log (non-JSON lines pass through unchanged). */
  push(line: string): string[];
  /**
   * The same lines as push(), made one at a time as they are iterated, so an agent message of a
   * million lines never exists as a million strings at once (the caller logs them in batches). The
   * summary is updated at the call; iterate the result before pushing the next line.
   */
  lines(line: string): Iterable<string>;
  summary(): CodexRunSummary;
  /** The command the agent started last (at item.started), for "quiet since …, last command" in status. */
  lastCommand(): string | null;
}

export interface CodexAccumulatorOptions {
  /** Working directory of the codex process: file paths inside it are shown relative to it. */
  cwd?: string;
  /** Lines of output shown under a failed command (default 10). */
  failedOutputLines?: number;
  /**
   * Keep only the last this many characters of the final agent message (the loop passes
   * prompt.prev_run_max_chars, all the next prompt uses); default: all of it (chat shows it whole).
   */
  finalMessageMaxChars?: number;
}

/**
 * Splits a POSIX shell command line into words ('…', "…" with \\-escapes, bare \\-escapes); null when
 * it uses anything else we would have to interpret ($, `, unbalanced quotes).
 */
export function splitShellWords(line: string): string[] | null {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === " " || c === "\t" || c === "\n") {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return null;
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let buf = "";
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        const d = line[j] as string;
        if (d === "\\" && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1] as string)) {
          buf += line[++j];
        } else if (d === "$" || d === "`") {
          return null;
        } else {
          buf += d;
        }
      }
      if (j >= line.length) return null;
      cur = (cur ?? "") + buf;
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= line.length) return null;
      cur = (cur ?? "") + line[++i];
    } else if (c === "$" || c === "`") {
      return null;
    } else {
      cur = (cur ?? "") + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** `/bin/bash -lc '<cmd>'` (how codex reports shell calls, quoted in several ways) → `<cmd>`. */
export function unwrapShellCommand(command: string): string {
  const words = splitShellWords(command);
  if (
    words?.length === 3 &&
    /^(?:\/usr)?(?:\/bin\/)?(?:ba|z|da)?sh$/.test(words[0] ?? "") &&
    /^-l?c$/.test(words[1] ?? "")
  ) {
    return words[2] ?? command;
  }
  return command;
}

export function relativize(path: string, cwd: string | undefined): string {
  if (!cwd) return path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

/**
 * `prefix line` for each line of `text` (split at \n, a \r before it dropped; an empty line: `prefix`).
 * An empty prefix yields the lines as they are.
 */
export function prefixed(prefix: string, text: string): Iterable<string> {
  if (!prefix && !text.includes("\n")) return [text];
  if (!text.includes("\n")) return [text.length > 0 ? `${prefix} ${text}` : prefix];
  return prefixedLines(prefix, text);
}

function* prefixedLines(prefix: string, text: string): Generator<string, void, undefined> {
  for (let start = 0; ; ) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (!prefix) yield text.slice(start, end);
    else yield end > start ? `${prefix} ${text.slice(start, end)}` : prefix;
    if (nl < 0) return;
    start = nl + 1;
  }
}

/** The last `n` lines of `text` (one trailing newline ignored), splitting only that tail. */
export function lastLines(text: string, n: number): string[] {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  let cut = -1; // the newline before the kept lines; -1: keep all (fewer than n lines, or n = 0)
  for (let i = 0, pos = body.length; i < n; i++) {
    const nl = pos > 0 ? body.lastIndexOf("\n", pos - 1) : -1;
    if (nl < 0) {
      cut = -1;
      break;
    }
    cut = pos = nl;
  }
  return body.slice(cut + 1).split(/\r?\n/);
}

/**
 * The end of `text` at most `max` characters long, as a string of its own: a slice would keep the
 * whole (possibly huge) message alive in memory, since V8's substrings point into their parent.
 */
export function tailOf(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  return max === 0 ? "" : (JSON.parse(JSON.stringify(text.slice(text.length - max))) as string);
}

/** Largest token count taken from an agent (2^40): sums over many runs stay exact integers. */
export const MAX_TOKEN_COUNT = 2 ** 40;

/**
 * A token count as the agent reported it, made a whole number in [0, MAX_TOKEN_COUNT]: a model endpoint's
 * negative, fractional or absurd number must not make records and state.json unreadable.
 */
export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), MAX_TOKEN_COUNT) : 0;
}

export function emptyTokenUsage(): TokenUsage {
  return {
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    reasoning_output_tokens: 0,
    total_tokens: 0,
  };
}

/** a + b field by field; total_tokens is recomputed as input + output. */
export function addTokenUsage(a: TokenUsage | null, b: TokenUsage | null): TokenUsage | null {
  if (!a) return b ? { ...b } : null;
  if (!b) return { ...a };
  const input = a.input_tokens + b.input_tokens;
  const output = a.output_tokens + b.output_tokens;
  return {
    input_tokens: input,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: output,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
    total_tokens: input + output,
  };
}

function usageFromEvent(u: CodexUsage | undefined): TokenUsage {
  const input = num(u?.input_tokens);
  const output = num(u?.output_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: num(u?.cached_input_tokens),
    output_tokens: output,
    reasoning_output_tokens: num(u?.reasoning_output_tokens),
    total_tokens: input + output,
  };
}

export function formatTokenUsage(u: TokenUsage): string {
  return (
    `tokens: input ${u.input_tokens} (cached ${u.cached_input_tokens}), ` +
    `output ${u.output_tokens} (reasoning ${u.reasoning_output_tokens}), total ${u.total_tokens}`
  );
}

export function createCodexAccumulator(options: CodexAccumulatorOptions = {}): CodexAccumulator {
  const failedOutputLines = options.failedOutputLines ?? 10;
  let threadId: string | null = null;
  let finalMessage: string | null = null;
  let usage: TokenUsage | null = null;
  let turnCompleted = false;
  let turnFailedMessage: string | null = null;
  let lastErrorMessage: string | null = null;
  const commands: CodexRunSummary["commands"] = [];
  let lastCommand: string | null = null;
  const files: string[] = [];
  // todo_list items repeat on every update: only log a plan when it changed.
  const lastPlan = new Map<string, string>();

  function itemLines(
    phase: "item.started" | "item.updated" | "item.completed",
    item: CodexItem,
  ): Iterable<string> {
    const done = phase === "item.completed";
    switch (item.type) {
      case "agent_message": {
        if (!done) return [];
        const text = String(item.text ?? "");
        finalMessage = tailOf(text, options.finalMessageMaxChars);
        return prefixed("agent:", text);
      }
      case "reasoning":
        return done && item.text ? prefixed("thinking:", String(item.text)) : [];
      case "command_execution": {
        if (!done) {
          if (phase === "item.started") lastCommand = unwrapShellCommand(String(item.command ?? ""));
          return [];
        }
        const command = unwrapShellCommand(String(item.command ?? ""));
        const exit = typeof item.exit_code === "number" ? item.exit_code : null;
        commands.push({ command, exit_code: exit });
        const status = exit !== null ? `exit ${exit}` : String(item.status ?? "unknown");
        const lines = [`$ ${command} (${status})`];
        if (exit !== 0 && item.aggregated_output) {
          const out = lastLines(String(item.aggregated_output), failedOutputLines);
          lines.push(...out.map((l) => `  ${l}`));
        }
        return lines;
      }
      case "file_change": {
        if (!done) return [];
        const failed = item.status === "failed" ? " (failed)" : "";
        return (Array.isArray(item.changes) ? item.changes : []).map((c) => {
          const path = relativize(String(c.path), options.cwd);
          if (!failed && !files.includes(path)) files.push(path);
          return `file: ${c.kind} ${path}${failed}`;
        });
      }
      case "mcp_tool_call": {
        if (!done) return [];
        const err = item.error?.message ? `: ${item.error.message}` : "";
        return [`tool: ${item.server}.${item.tool} (${item.status}${err})`];
      }
      case "web_search":
        return done ? [`search: ${item.query}`] : [];
      case "todo_list": {
        const list = Array.isArray(item.items) ? item.items : [];
        const line = `plan: ${list.map((t) => `[${t.completed ? "x" : " "}] ${t.text}`).join(" | ")}`;
        if (lastPlan.get(item.id) === line) return [];
        lastPlan.set(item.id, line);
        return [line];
      }
      case "error":
        if (!done && phase !== "item.started") return [];
        lastErrorMessage = String(item.message ?? "");
        return prefixed("error:", lastErrorMessage);
      default:
        return [];
    }
  }

  function lines(line: string): Iterable<string> {
    const ev = parseCodexEvent(line);
    // Event types newer than this code (e.g. streaming deltas) stay in runs/<id>.jsonl only.
    if (!ev) return looksLikeEvent(line) ? [] : [line];
    switch (ev.type) {
      case "thread.started":
        threadId = typeof ev.thread_id === "string" ? ev.thread_id : threadId;
        return [`thread: ${threadId}`];
      case "turn.started":
        return [];
      case "turn.completed": {
        const u = usageFromEvent(ev.usage);
        usage = addTokenUsage(usage, u);
        turnCompleted = true;
        return [formatTokenUsage(u)];
      }
      case "turn.failed":
        turnFailedMessage = String(ev.error?.message ?? "turn failed");
        return prefixed("turn failed:", turnFailedMessage);
      case "error":
        lastErrorMessage = String(ev.message ?? "");
        return prefixed("error:", lastErrorMessage);
      default:
        return itemLines(ev.type, ev.item);
    }
  }

  return {
    push: (line) => Array.from(lines(line)),
    lines,
    lastCommand: () => lastCommand,
    summary(): CodexRunSummary {
      return {
        thread_id: threadId,
        final_message: finalMessage,
        usage: usage ? { ...usage } : null,
        commands: commands.map((c) => ({ ...c })),
        files_changed: [...files],
        turnCompleted,
        turnFailedMessage,
        lastErrorMessage,
      };
    },
  };
}
