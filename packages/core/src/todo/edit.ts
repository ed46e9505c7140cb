import { CarError } from "../errors.js";
import { parseTodo } from "./parse.js";

/**
 * Tick or untick the item on 1-based `line`, changing exactly the one character inside `[ ]` so
 * nothing else the user wrote moves. An item already in the wanted state is returned unchanged
 * (an `X` stays `X`).
 */
export function setTodoDone(text: string, line: number, done: boolean): string {
  const item = parseTodo(text).find((it) => it.line === line);
  if (!item) {
    throw new CarError("INVALID_ARGUMENT", `line ${line} of the TODO is not a task item ("- [ ] ...")`, {
      line,
    });
  }
  if (item.done === done) return text;
  return text.slice(0, item.checkOffset) + (done ? "x" : " ") + text.slice(item.checkOffset + 1);
}

/** Append `- [ ] itemText` on its own line, keeping the file's line ending style (CRLF or LF). */
export function appendTodo(text: string, itemText: string): string {
  if (/[\r\n]/.test(itemText)) {
    throw new CarError("INVALID_ARGUMENT", "a TODO item must be a single line", {
      found: JSON.stringify(itemText),
    });
  }
  const trimmed = itemText.trim();
  if (trimmed === "") throw new CarError("INVALID_ARGUMENT", "a TODO item needs some text");
  const firstNl = text.indexOf("\n");
  const eol = firstNl > 0 && text[firstNl - 1] === "\r" ? "\r\n" : "\n";
  const sep = text === "" || text.endsWith("\n") ? "" : eol;
  const out = `${text}${sep}- [ ] ${trimmed}${eol}`;
  const before = parseTodo(text).length;
  if (parseTodo(out).length !== before + 1) {
    // The file ends inside an unclosed code fence or HTML comment: the item would be invisible.
    throw new CarError(
      "INVALID_ARGUMENT",
      "the TODO ends inside an unclosed code fence or HTML comment; an item appended there would not count",
    );
  }
  return out;
}
