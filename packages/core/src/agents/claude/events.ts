/**
 * `claude -p --output-format stream-json --verbose` events (claude-code 2.1.332, recorded in ./fixtures)
 * and an accumulator that turns the JSONL stream into readable log lines plus a run summary, in the
 * shape of codex's (codex/events.ts), whose line and usage helpers it reuses.
 * Pure: the runner feeds lines from the child process; nothing here touches the OS.
 */

import {
  formatTokenUsage,
  isRecord,
  lastLines,
  num,
  prefixed,
  relativize,
  tailOf,
} from "../../codex/events.js";
import { clipText, formatUsd } from "../../text.js";
import type { TokenUsage } from "../../types.js";

/** `usage` of a result event (and of each assistant message): what the API served. */
export interface ClaudeUsage {
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens?: number;
  output_tokens_details?: { thinking_tokens?: number } | null;
}

export interface ClaudeRunSummary {
  /** The session id (`claude --resume <id>`). */
  thread_id: string | null;
  /** `result.result` of a successful run. */
  final_message: string | null;
  /** From the result event (claude's own sum over the API calls); null without one. */
  usage: TokenUsage | null;
  /** `total_cost_usd`: claude's price computation. */
  cost_usd: number | null;
  num_turns: number | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  files_changed: string[];
  /** A result event arrived: the run ended on its own. */
  resultSeen: boolean;
  is_error: boolean;
  /** HTTP status of the failed API call (result, else the last API error message). */
  api_error_status: number | null;
  /** Claude's `api_error` tag ("connection_failed"), when it gives one. */
  api_error: string | null;
  /** The error text: the result of a failed run, else the last "API Error: …" message seen. */
  error: string | null;
}

export interface ClaudeAccumulator {
  /** One stdout line → readable lines for the log (non-JSON lines pass through unchanged). */
  push(line: string): string[];
  /** The same lines made as they are iterated (see CodexAccumulator.lines); the summary is updated at the call. */
  lines(line: string): Iterable<string>;
  summary(): ClaudeRunSummary;
  /** The Bash command the agent started last, for "quiet since …, last command" in status. */
  lastCommand(): string | null;
}

export interface ClaudeAccumulatorOptions {
  /** Working directory of claude: changed files inside it are reported relative to it, others dropped. */
  cwd?: string;
  /** Lines of output shown under a failed tool call (default 10, as codex's failed commands). */
  failedOutputLines?: number;
  /** Keep only the last this many characters of the final message; default: all of it. */
  finalMessageMaxChars?: number;
}

/** Longest `[tool] Name {input}` line: the input is a glimpse, runs/<id>.jsonl has all of it. */
const TOOL_INPUT_MAX_CHARS = 200;

/** Tools whose input names the file they write. */
const FILE_TOOLS: Record<string, string> = {
  Edit: "file_path",
  MultiEdit: "file_path",
  Write: "file_path",
  NotebookEdit: "notebook_path",
};

/** The plan's mapping onto the one TokenUsage: input counts cached and cache-written tokens, as codex's does. */
/** Above this a reported cost is not believed (a run costs dollars, not millions). */
const MAX_RUN_COST_USD = 1_000_000;
/** Claude's session ids are UUIDs; anything longer is clipped. */
const SESSION_ID_MAX_CHARS = 200;

/** A line longer than this may be a `result` event whose text repeats the last message: read without it. */
const HUGE_LINE_CHARS = 1_000_000;
const RESULT_KEY = '"result":"';

/**
 * The line with the `result` string's value emptied (`"result":""`), when it has one: the text repeats
 * the last assistant message, which the accumulator already has, and parsing it again would make a
 * second copy of a huge message (both live until a full garbage collection). Null: no such key.
 */
export function withoutResultText(line: string): string | null {
  // Unescaped quotes exist only outside string values, so these are the event's own keys.
  if (!line.includes('"type":"result"')) return null;
  const at = line.indexOf(RESULT_KEY);
  if (at < 0) return null;
  const start = at + RESULT_KEY.length;
  for (let end = line.indexOf('"', start); end >= 0; end = line.indexOf('"', end + 1)) {
    let slashes = 0;
    while (line[end - 1 - slashes] === "\\") slashes++;
    if (slashes % 2 === 0) return `${line.slice(0, start)}${line.slice(end)}`;
  }
  return null;
}

/** The last `max` characters of the texts joined by newlines, without joining a huge text whole first. */
function joinedTail(texts: string[], max: number | undefined): string {
  if (max === undefined) return texts.join("\n");
  let joined = "";
  for (let i = texts.length - 1; i >= 0 && joined.length < max; i--) {
    const t = tailOf(texts[i] as string, max);
    joined = i === texts.length - 1 ? t : `${t}\n${joined}`;
  }
  return tailOf(joined, max);
}

export function claudeTokenUsage(u: ClaudeUsage | null | undefined): TokenUsage {
  const input = num(u?.input_tokens) + num(u?.cache_creation_input_tokens) + num(u?.cache_read_input_tokens);
  const output = num(u?.output_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: num(u?.cache_read_input_tokens),
    output_tokens: output,
    reasoning_output_tokens: num(u?.output_tokens_details?.thinking_tokens),
    total_tokens: input + output,
  };
}

/** A tool_result's content: a string, or text blocks. */
function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((b) => isRecord(b) && b.type === "text" && typeof b.text === "string")
    .map((b) => (b as { text: string }).text)
    .join("\n");
}

/**
 * A tool's input as clipped JSON. Strings are cut before serialising (to the same first characters):
 * a Write of a 10 MB file never becomes a second 10 MB string just to show 200 characters of it.
 */
function inputGlimpse(input: Record<string, unknown>): string {
  const json = JSON.stringify(input, (_key, v: unknown) =>
    typeof v === "string" && v.length > TOOL_INPUT_MAX_CHARS ? v.slice(0, TOOL_INPUT_MAX_CHARS) : v,
  );
  return clipText(json, TOOL_INPUT_MAX_CHARS);
}

function* concat(parts: Iterable<string>[]): Generator<string, void, undefined> {
  for (const p of parts) yield* p;
}

interface PendingTool {
  name: string;
  /** Bash: the command, recorded with its exit code when the result comes. */
  command: string | null;
  /** Edit/Write…: the file, counted as changed when the call succeeds. */
  file: string | null;
}

export function createClaudeAccumulator(options: ClaudeAccumulatorOptions = {}): ClaudeAccumulator {
  const failedOutputLines = options.failedOutputLines ?? 10;
  let threadId: string | null = null;
  let finalMessage: string | null = null;
  /** The end of the last assistant message's text: the final message when the result's copy was skipped. */
  let lastText: string | null = null;
  let skippedResult = false;
  let usage: TokenUsage | null = null;
  let cost: number | null = null;
  let turns: number | null = null;
  let resultSeen = false;
  let isError = false;
  let apiErrorStatus: number | null = null;
  let apiError: string | null = null;
  let error: string | null = null;
  let lastCommand: string | null = null;
  const commands: ClaudeRunSummary["commands"] = [];
  const files: string[] = [];
  const pending = new Map<string, PendingTool>();

  /** Notes a changed file (relative to cwd); one outside cwd is not the repo's and is left out. */
  function addFile(path: unknown): void {
    if (typeof path !== "string" || path.length === 0) return;
    let shown = path;
    if (options.cwd && path.startsWith("/")) {
      shown = relativize(path, options.cwd);
      if (shown === path) return;
    }
    if (!files.includes(shown)) files.push(shown);
  }

  function assistantLines(ev: Record<string, unknown>): Iterable<string>[] {
    const message = isRecord(ev.message) ? ev.message : {};
    if (ev.is_api_error_message === true) {
      apiErrorStatus = typeof ev.api_error_status === "number" ? ev.api_error_status : null;
      apiError = typeof ev.api_error === "string" ? ev.api_error : null;
      error = resultText(message.content);
    }
    const out: Iterable<string>[] = [];
    const content = Array.isArray(message.content) ? message.content : [];
    const texts = content.filter((b) => isRecord(b) && b.type === "text" && typeof b.text === "string");
    if (texts.length > 0 && ev.is_api_error_message !== true) {
      lastText = joinedTail(
        texts.map((b) => (b as { text: string }).text),
        options.finalMessageMaxChars,
      );
    }
    for (const block of content) {
      if (!isRecord(block)) continue;
      if (block.type === "text" && typeof block.text === "string") {
        out.push(prefixed("", block.text));
      } else if (block.type === "thinking" && typeof block.thinking === "string" && block.thinking) {
        out.push(prefixed("thinking:", block.thinking));
      } else if (block.type === "tool_use") {
        out.push(toolUseLines(block));
      }
    }
    return out;
  }

  function toolUseLines(block: Record<string, unknown>): string[] {
    const name = typeof block.name === "string" ? block.name : "?";
    const input = isRecord(block.input) ? block.input : {};
    const id = typeof block.id === "string" ? block.id : null;
    if (name === "Bash" && typeof input.command === "string") {
      lastCommand = input.command;
      if (id) pending.set(id, { name, command: input.command, file: null });
      return [`$ ${input.command}`];
    }
    const fileKey = FILE_TOOLS[name];
    const file = fileKey && typeof input[fileKey] === "string" ? (input[fileKey] as string) : null;
    if (id) pending.set(id, { name, command: null, file });
    return [`[tool] ${name} ${inputGlimpse(input)}`];
  }

  function userLines(ev: Record<string, unknown>): Iterable<string>[] {
    const message = isRecord(ev.message) ? ev.message : {};
    const toolUseResult = isRecord(ev.tool_use_result) ? ev.tool_use_result : null;
    // A Bash command's edits, as claude diffed them (absolute paths).
    const diff = toolUseResult && isRecord(toolUseResult.bashEditDiff) ? toolUseResult.bashEditDiff : null;
    for (const f of diff && Array.isArray(diff.files) ? diff.files : []) {
      if (isRecord(f)) addFile(f.filePath);
    }
    const out: Iterable<string>[] = [];
    for (const block of Array.isArray(message.content) ? message.content : []) {
      if (!isRecord(block) || block.type !== "tool_result") continue;
      const id = typeof block.tool_use_id === "string" ? block.tool_use_id : "";
      const call = pending.get(id);
      pending.delete(id);
      if (block.is_error !== true) {
        if (call?.command != null) commands.push({ command: call.command, exit_code: 0 });
        if (call?.file) addFile(call.file);
        continue; // a successful result's output is not logged (runs/<id>.jsonl has it): not even read
      }
      let text = resultText(block.content);
      let exit = 1;
      const exitLine = /^Exit code (\d+)\r?\n?/.exec(text);
      if (exitLine) {
        exit = Number(exitLine[1]);
        text = text.slice(exitLine[0].length);
      }
      if (call?.command != null) commands.push({ command: call.command, exit_code: exit });
      const head =
        call?.command != null && exitLine ? `  (exit ${exit})` : `  (${call?.name ?? "tool"} failed)`;
      const tail = text ? lastLines(text, failedOutputLines).map((l) => `  ${l}`) : [];
      out.push([head, ...tail]);
    }
    return out;
  }

  function resultLines(ev: Record<string, unknown>): Iterable<string>[] {
    resultSeen = true;
    isError = ev.is_error === true;
    usage = isRecord(ev.usage) ? claudeTokenUsage(ev.usage as ClaudeUsage) : null;
    // Only a real amount: a negative or infinite one (JSON's 1e400), or one whose sum could overflow, would
    // make state.json's total unreadable.
    const c = ev.total_cost_usd;
    cost = typeof c === "number" && Number.isFinite(c) && c >= 0 && c <= MAX_RUN_COST_USD ? c : null;
    turns = typeof ev.num_turns === "number" ? ev.num_turns : null;
    apiErrorStatus = typeof ev.api_error_status === "number" ? ev.api_error_status : null;
    apiError = typeof ev.api_error === "string" ? ev.api_error : null;
    const stats = [
      turns !== null ? `${turns} turn${turns === 1 ? "" : "s"}` : null,
      usage ? formatTokenUsage(usage) : null,
      cost !== null ? formatUsd(cost) : null,
    ]
      .filter((s) => s !== null)
      .join(", ");
    const raw = typeof ev.result === "string" ? ev.result : null;
    // lines() emptied a huge result text: it repeated the last assistant message (a failed run's: the
    // API error message, which `error` already holds).
    const text = skippedResult && raw === "" ? (isError ? error : lastText) : raw;
    if (!isError) {
      finalMessage = text !== null ? tailOf(text, options.finalMessageMaxChars) : null;
      error = null;
      return [[`[claude] done${stats ? `: ${stats}` : ""}`]];
    }
    // error_max_turns / error_during_execution carry `errors` (or nothing) instead of a result text.
    const errors = Array.isArray(ev.errors) ? ev.errors.filter((e) => typeof e === "string") : [];
    error = text ?? (errors.length > 0 ? errors.join("; ") : String(ev.subtype ?? "error"));
    finalMessage = null;
    const status = apiErrorStatus !== null ? ` (${apiErrorStatus})` : "";
    return [prefixed(`[claude] error${status}:`, error), [`[claude] failed${stats ? `: ${stats}` : ""}`]];
  }

  function lines(line: string): Iterable<string> {
    if (!line.trimStart().startsWith("{")) return [line];
    let ev: unknown;
    // Only when a text was removed: a result that was empty stays empty.
    const lighter = line.length > HUGE_LINE_CHARS ? withoutResultText(line) : null;
    skippedResult = lighter !== null && lighter.length < line.length;
    try {
      ev = JSON.parse(skippedResult ? (lighter as string) : line);
      // The key matched a nested object's (a tool input's): this event is read whole.
      if (skippedResult && (!isRecord(ev) || ev.type !== "result")) {
        skippedResult = false;
        ev = JSON.parse(line);
      }
    } catch {
      return [line];
    }
    if (!isRecord(ev) || typeof ev.type !== "string") return [line];
    // Clipped: the id is stored in the record and sent by the API, and comes from the agent's output.
    if (typeof ev.session_id === "string") threadId = clipText(ev.session_id, SESSION_ID_MAX_CHARS);
    switch (ev.type) {
      case "system":
        if (ev.subtype !== "init") return [];
        return [
          `[claude] session ${threadId ?? "?"}${typeof ev.model === "string" ? ` (model ${ev.model})` : ""}`,
        ];
      case "assistant":
        return concat(assistantLines(ev));
      case "user":
        return concat(userLines(ev));
      case "result":
        return concat(resultLines(ev));
      default:
        // Event types newer than this code (stream_event, …) stay in runs/<id>.jsonl only.
        return [];
    }
  }

  return {
    push: (line) => Array.from(lines(line)),
    lines,
    lastCommand: () => lastCommand,
    summary(): ClaudeRunSummary {
      return {
        thread_id: threadId,
        final_message: finalMessage,
        usage: usage ? { ...usage } : null,
        cost_usd: cost,
        num_turns: turns,
        commands: commands.map((c) => ({ ...c })),
        files_changed: [...files],
        resultSeen,
        is_error: isError,
        api_error_status: apiErrorStatus,
        api_error: apiError,
        error,
      };
    },
  };
}
