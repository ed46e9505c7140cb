import { tailOf } from "../../codex/events.js";

/**
 * The last non-blank stderr lines of a JSON-event agent: what it printed when it died without an
 * event saying why (config or auth problems, a lost connection). stderr itself is logged as is; each
 * kept line is at most its last KEPT_LINE_MAX_CHARS (a copy: a slice would keep a huge line alive).
 */
const KEPT_LINE_MAX_CHARS = 2000;

export function stderrTail(max = 20): { lines: string[]; keep(raw: string): string[] } {
  const lines: string[] = [];
  return {
    lines,
    keep(raw) {
      if (raw.trim().length > 0) {
        lines.push(tailOf(raw, KEPT_LINE_MAX_CHARS));
        if (lines.length > max) lines.shift();
      }
      return [raw];
    },
  };
}
