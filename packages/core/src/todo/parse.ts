import type { TodoCounts } from "../types.js";

/**
 * GitHub task-list items in a TODO markdown file. The original tool counted every `- [ ]` it saw,
 * including examples inside code fences and HTML comments, and then looped forever on items the
 * agent rightly never ticked. Here those do not count.
 *
 * Grammar (per line; `\n` or `\r\n` line ends):
 *   item   := indent marker ws+ "[" (" " | "x" | "X") "]" (ws text | end)
 *   marker := "-" | "*" | "+" | digits{1,9} ("." | ")")
 * Fences: ``` or ~~~ (≥3), closed by a fence of the same char at least as long with nothing after it.
 * Unlike strict CommonMark any indentation opens a fence, since fences nested in list items are
 * indented by the list; erring this way never counts an item GitHub would not render as a checkbox.
 * HTML comments `<!-- … -->` may span lines; a line that starts inside a comment, or text after
 * `<!--`, holds no item.
 */
export interface TodoItem {
  /** Item text after the checkbox, trimmed. */
  text: string;
  done: boolean;
  /** 1-based line number. */
  line: number;
  /** UTF-16 index in the whole text of the character inside `[ ]`. */
  checkOffset: number;
  /** Leading whitespace characters before the marker. */
  indent: number;
  /** The list marker as written: "-", "*", "+", "1.", "3)". */
  marker: string;
}

const ITEM_RE = /^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+\[([ xX])\](?:[ \t]+(.*))?$/;
const FENCE_OPEN_RE = /^[ \t]*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE_RE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

/** Where a line of the text starts and what it holds (without its line ending). */
interface Line {
  text: string;
  start: number;
}

function* lines(text: string): Generator<Line> {
  let start = text.startsWith("\uFEFF") ? 1 : 0;
  while (start <= text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    const cut = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield { text: text.slice(start, cut), start };
    if (nl === -1) return;
    start = nl + 1;
  }
}

/**
 * Scan `line` from `from` for comment boundaries; returns whether the line ends inside a comment.
 * `<!-->` and `<!--->` are complete (empty) comments, as in CommonMark.
 */
function endsInComment(line: string, from: number, inComment: boolean): boolean {
  let pos = from;
  let open = inComment;
  for (;;) {
    if (open) {
      const close = line.indexOf("-->", pos);
      if (close === -1) return true;
      open = false;
      pos = close + 3;
    } else {
      const start = line.indexOf("<!--", pos);
      if (start === -1) return false;
      open = true;
      pos = start + 2;
    }
  }
}

export function parseTodo(text: string): TodoItem[] {
  const items: TodoItem[] = [];
  let fence: { char: string; len: number } | null = null;
  let inComment = false;
  let lineNo = 0;
  for (const { text: line, start } of lines(text)) {
    lineNo++;
    if (fence) {
      const close = FENCE_CLOSE_RE.exec(line);
      const run = close?.[1] ?? "";
      if (run.charAt(0) === fence.char && run.length >= fence.len) fence = null;
      continue;
    }
    if (inComment) {
      inComment = endsInComment(line, 0, true);
      continue;
    }
    const open = FENCE_OPEN_RE.exec(line);
    // A backtick fence's info string may not contain a backtick (else it is inline code).
    const run = open?.[1] ?? "";
    if (open && !(run.startsWith("`") && (open[2] ?? "").includes("`"))) {
      fence = { char: run.charAt(0), len: run.length };
      continue;
    }
    const m = ITEM_RE.exec(line);
    if (m) {
      const indent = m[1]!.length;
      const marker = m[2]!;
      const bracket = line.indexOf("[", indent + marker.length);
      const commentAt = line.indexOf("<!--");
      if (commentAt === -1 || commentAt > bracket + 2) {
        items.push({
          text: (m[4] ?? "").trim(),
          done: m[3] !== " ",
          line: lineNo,
          checkOffset: start + bracket + 1,
          indent,
          marker,
        });
      }
    }
    inComment = endsInComment(line, 0, false);
  }
  return items;
}

export function countTodo(text: string): TodoCounts {
  let done = 0;
  let outstanding = 0;
  for (const item of parseTodo(text)) {
    if (item.done) done++;
    else outstanding++;
  }
  return { outstanding, done };
}

/** First unchecked item (what the agent should work on), or null when all are done. */
export function firstOutstanding(text: string): TodoItem | null {
  return parseTodo(text).find((item) => !item.done) ?? null;
}
