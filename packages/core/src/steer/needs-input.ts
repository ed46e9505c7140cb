/**
 * "The agent needs a human" (issue 13): the built-in prompt asks the agent to end its reply with a
 * line `NEEDS_INPUT: <question>` when it cannot continue without a decision; the runner looks for
 * that line in the final message (JSON backends) or in any output line (plain backends).
 */

/** Longest question kept (state.json, status, notifications); longer ones are cut with "…". */
export const NEEDS_INPUT_MAX_CHARS = 2000;

/** The sentence for the built-in template's "How to work" list. */
export const NEEDS_INPUT_INSTRUCTION =
  "If you cannot continue without a decision from the developer, do what you can, then end your reply with one line `NEEDS_INPUT: <your question>`; the loop pauses until the developer answers, and the answer reaches the next run in a <STEERING> block.";

// At a line's start (indentation allowed), the keyword optionally in markdown bold/code, then ":".
const LINE_RE = /^\s*(?:[*_`]{1,2})?NEEDS_INPUT(?:[*_`]{1,2})?\s*:(?:[*_`]{1,2}(?=\s))?\s*(.*)$/;
const FENCE_RE = /^\s*(`{3,}|~{3,})(.*)$/;
// The instruction's own placeholder: a plain backend that echoes its prompt is not asking anything.
const PLACEHOLDERS = new Set(["<question>", "<your question>", "`<your question>`"]);

/**
 * The question of the last `NEEDS_INPUT:` line outside code fences, trimmed and bounded; null when
 * there is none (or only empty ones).
 */
export function findNeedsInput(text: string): string | null {
  let found: string | null = null;
  let fence: { char: string; len: number } | null = null;
  for (const raw of text.split(/\r?\n|\r/)) {
    const f = FENCE_RE.exec(raw);
    if (fence) {
      // Closed by a fence of the same character, at least as long, with nothing after it.
      if (f && f[1]!.charAt(0) === fence.char && f[1]!.length >= fence.len && f[2]!.trim() === "")
        fence = null;
      continue;
    }
    if (f && !(f[1]!.startsWith("`") && f[2]!.includes("`"))) {
      fence = { char: f[1]!.charAt(0), len: f[1]!.length };
      continue;
    }
    const m = LINE_RE.exec(raw);
    if (!m) continue;
    const q = cleanQuestion(m[1]!);
    if (q !== "" && !PLACEHOLDERS.has(q)) found = q;
  }
  return found;
}

function cleanQuestion(q: string): string {
  // Trailing markdown emphasis closing an emphasised line ("**NEEDS_INPUT: which db?**").
  const t = q
    .trim()
    .replace(/(?:\*\*|__)$/, "")
    .trim();
  if (t.length <= NEEDS_INPUT_MAX_CHARS) return t;
  return `${t.slice(0, NEEDS_INPUT_MAX_CHARS - 1).trimEnd()}…`;
}
