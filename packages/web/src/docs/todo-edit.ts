/**
 * TODO edits the UI makes, on top of core's character-exact setTodoDone/appendTodo. A tick names the
 * item by line AND text, so a tick aimed at a list that changed underneath (the agent inserted a
 * line, the user edited the raw text) lands on the same item or fails loudly — never on a neighbour.
 */
import { appendTodo, parseTodo, setTodoDone, type TodoItem } from "@codex-autorunner/core";

export interface TodoRef {
  line: number;
  text: string;
}

/** The item `ref` means in `content`: same line and text, else the only item with that text. */
export function findTodo(content: string, ref: TodoRef): TodoItem | null {
  const items = parseTodo(content);
  const exact = items.find((it) => it.line === ref.line && it.text === ref.text);
  if (exact) return exact;
  const sameText = items.filter((it) => it.text === ref.text);
  return sameText.length === 1 ? sameText[0]! : null;
}

/** Tick or untick the item; throws a readable Error when it is no longer in the doc. */
export function toggleTodo(content: string, ref: TodoRef, done: boolean): string {
  const item = findTodo(content, ref);
  if (!item)
    throw new Error(`The item "${ref.text}" is no longer in the TODO (it changed meanwhile). Reload it.`);
  return setTodoDone(content, item.line, done);
}

/** Append `- [ ] text`; multi-line input becomes one line (a TODO item is one line). */
export function addTodo(content: string, text: string): string {
  const one = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  if (!one) throw new Error("Type the item's text first.");
  return appendTodo(content, one);
}

const MAX_ITEM = 200;

/**
 * A TODO item suggested from a chat reply: its first meaningful line, with markdown list / checkbox /
 * heading syntax removed, cut at a word boundary when long. The user edits it before adding.
 */
export function todoTextFromReply(reply: string): string {
  for (const raw of reply.split(/\r?\n/)) {
    const line = raw
      .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "")
      .replace(/^\[[ xX]\]\s*/, "")
      .replace(/^#+\s*/, "")
      .replace(/^>\s*/, "")
      .trim();
    if (!line || /^(```|~~~)/.test(line)) continue;
    if (line.length <= MAX_ITEM) return line;
    const cut = line.slice(0, MAX_ITEM);
    const space = cut.lastIndexOf(" ");
    return `${(space > MAX_ITEM / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
  }
  return "";
}

export function todoProgress(content: string): { done: number; total: number } {
  const items = parseTodo(content);
  return { done: items.filter((it) => it.done).length, total: items.length };
}
