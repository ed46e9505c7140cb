/**
 * The last non-blank stderr lines of a JSON-event agent: what it printed when it died without an
 * event saying why (config or auth problems, a lost connection). stderr itself is logged as is.
 */
export function stderrTail(max = 20): { lines: string[]; keep(raw: string): string[] } {
  const lines: string[] = [];
  return {
    lines,
    keep(raw) {
      if (raw.trim().length > 0) {
        lines.push(raw);
        if (lines.length > max) lines.shift();
      }
      return [raw];
    },
  };
}
