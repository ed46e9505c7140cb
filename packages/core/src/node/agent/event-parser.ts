import { tailOf } from "../../codex/events.js";
import type { LogStream } from "../../types.js";
import type { AgentRunSummary, RunOutputParser } from "./backend.js";

/**
 * The shell both JSON-event backends share: stdout lines go through the agent's pure accumulator
 * (readable lines made lazily, so a huge event is logged in batches), stderr is logged as is and its
 * last non-blank lines kept for `finish` (what the agent printed when it died without an event saying
 * why). Each kept line is at most KEPT_LINE_MAX_CHARS (a copy: a slice would keep a huge line alive).
 */
const KEPT_LINES = 20;
const KEPT_LINE_MAX_CHARS = 2000;

export interface EventAccumulator {
  lines(raw: string): Iterable<string>;
  lastCommand(): string | null;
}

export interface EventParser extends RunOutputParser {
  lines(stream: LogStream, raw: string): Iterable<string>;
}

export function createEventParser(
  acc: EventAccumulator,
  finish: (
    exit: { code: number | null; signal: string | null },
    stderr: readonly string[],
  ) => AgentRunSummary,
): EventParser {
  const stderr: string[] = [];
  const lines = (stream: LogStream, raw: string): Iterable<string> => {
    if (stream !== "stderr") return acc.lines(raw);
    if (raw.trim().length > 0) {
      stderr.push(tailOf(raw, KEPT_LINE_MAX_CHARS));
      if (stderr.length > KEPT_LINES) stderr.shift();
    }
    return [raw];
  };
  return {
    push: (stream, raw) => Array.from(lines(stream, raw)),
    lines,
    lastCommand: () => acc.lastCommand(),
    finish: (exit) => finish(exit, stderr),
  };
}
