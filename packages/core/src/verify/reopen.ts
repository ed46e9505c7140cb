import { setTodoDone } from "../todo/edit.js";
import { parseTodo, type TodoItem } from "../todo/parse.js";

/**
 * After a failed verification, the TODO items the run ticked are unticked again: exactly those, by
 * changing the one character inside their `[x]`, so nothing else in the file moves.
 *
 * Which items did the run tick? Items have no ids and the agent may move lines (a "Done" section at
 * the bottom is common), so an item of the TODO after the run is matched to one of before by its
 * text, wherever it is. Items with the same text are matched in order of occurrence; when the run
 * added or removed some of them, the pairing keeps that order and, among the pairings with the most
 * pairs, keeps as many items in the state they had (a ticked one stays paired with a ticked one), so
 * a ticked duplicate the run added next to one that was already ticked is the one reopened.
 *
 * A ticked item after the run was ticked by it when its match was open, or when it has no match: an
 * item the run added (or reworded) already ticked is a claim like any other and is reopened too.
 * Items in code fences and HTML comments are not items (parseTodo) and are never touched.
 */

export interface ReopenedItem {
  /** The item's text (after its checkbox). */
  text: string;
  /** 1-based line in the TODO (the same before and after unticking). */
  line: number;
  /** Not in the TODO before the run with this text: the run added (or reworded) it already ticked. */
  added: boolean;
}

export interface ReopenResult {
  /** The TODO after the run with those items unticked; `todoAfter` itself when there were none. */
  text: string;
  /** In file order. */
  reopened: ReopenedItem[];
}

/** Above this many cells for one text's duplicates, pairing falls back to plain occurrence order. */
const MAX_PAIRING_CELLS = 1_000_000;

export function reopenTickedItems(todoBefore: string, todoAfter: string): ReopenResult {
  const groups = new Map<string, { before: TodoItem[]; after: TodoItem[] }>();
  const group = (text: string) => {
    let g = groups.get(text);
    if (!g) {
      g = { before: [], after: [] };
      groups.set(text, g);
    }
    return g;
  };
  for (const item of parseTodo(todoBefore)) group(item.text).before.push(item);
  const after = parseTodo(todoAfter);
  for (const item of after) group(item.text).after.push(item);

  const reopen = new Map<TodoItem, boolean>();
  for (const { before, after: later } of groups.values()) {
    if (!later.some((it) => it.done)) continue;
    const match = pairInOrder(before, later);
    later.forEach((item, j) => {
      const was = match[j];
      if (item.done && !was?.done) reopen.set(item, was === undefined);
    });
  }

  let text = todoAfter;
  const reopened: ReopenedItem[] = [];
  for (const item of after) {
    const added = reopen.get(item);
    if (added === undefined) continue;
    text = setTodoDone(text, item.line, false);
    reopened.push({ text: item.text, line: item.line, added });
  }
  return { text, reopened };
}

/**
 * For each item of `after` (all with one text), its partner in `before` or undefined: an
 * order-preserving pairing with the most pairs and, among those, the most pairs in the same state;
 * ties go to the earliest pairs.
 */
function pairInOrder(before: TodoItem[], after: TodoItem[]): Array<TodoItem | undefined> {
  const n = before.length;
  const m = after.length;
  const out: Array<TodoItem | undefined> = new Array(m).fill(undefined);
  if (n === m || n * m > MAX_PAIRING_CELLS) {
    for (let j = 0; j < Math.min(n, m); j++) out[j] = before[j];
    return out;
  }
  // best[i][j]: score of before[i..] with after[j..]; a pair is worth `pair` (more than all the
  // same-state bonuses together) plus 1 when both sides have the same state.
  const pair = Math.min(n, m) + 1;
  const w = m + 1;
  const best = new Int32Array((n + 1) * w);
  const at = (i: number, j: number) => best[i * w + j] as number;
  const gain = (i: number, j: number) =>
    pair + ((before[i] as TodoItem).done === (after[j] as TodoItem).done ? 1 : 0);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      best[i * w + j] = Math.max(gain(i, j) + at(i + 1, j + 1), at(i + 1, j), at(i, j + 1));
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (at(i, j) === gain(i, j) + at(i + 1, j + 1)) {
      out[j] = before[i];
      i++;
      j++;
    } else if (at(i, j) === at(i, j + 1)) j++;
    else i++;
  }
  return out;
}
