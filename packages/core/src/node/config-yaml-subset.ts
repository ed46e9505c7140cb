/**
 * A reader for the plain subset of YAML that config.yml files are written in (what `car init` writes,
 * what js-yaml's `dump` writes back, and simple hand edits), so reading a config does not load js-yaml.
 * It returns null for anything outside the subset, and the caller uses js-yaml. Within the subset the
 * result equals js-yaml's YAML 1.1 reading, key order included (config-fast.test.ts compares them).
 *
 * The subset: `key: value` lines at the top level, one nested level of `key: value` (any indent, the
 * same within a section), values that are `null`, `true`, `false`, decimal integers and plain decimals,
 * quoted strings without escapes ("..." or '...', printable ASCII), plain words that YAML 1.1 cannot
 * read as anything but a string (and, outside `[...]`, several such words: `pnpm test --filter x`),
 * one-line `[a, b]` lists of those, and block lists under a nested key: of those (`- item`), or of
 * one-level mappings of those (`- name: test` then `  run: pnpm test` lines, as js-yaml's dump writes
 * config lists such as docs.extras). Blank lines and `#` comments anywhere. Everything else: null.
 */

type Obj = Record<string, unknown>;
const NO = Symbol("not in the subset");
type Scalar = string | number | boolean | null;

const KEY_LINE = /^( *)([A-Za-z_][A-Za-z0-9_]*):(?:( +)(.*))?$/;
const ITEM_LINE = /^( *)- +(.*)$/;
const DQ = /^"([\x20-\x21\x23-\x5b\x5d-\x7e]*)"/;
const SQ = /^'([\x20-\x26\x28-\x7e]*)'/;
const INT = /^(?:0|-?[1-9][0-9]{0,14})(?=$|[ ,\]])/;
const DEC = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}(?=$|[ ,\]])/;
/** Dotted numbers with two or more dots (an IPv4 address): no YAML 1.1 number or date, so a string. */
const DOTTED = /^[0-9]+(?:\.[0-9]+){2,}(?=$|[ ,\]])/;
const WORD = /^(?:--?|[./]+)?[A-Za-z][A-Za-z0-9_./-]*(?=$|[ ,\]])/;
/**
 * A plain scalar of several words (`pnpm test --filter x`), block context only: it starts like WORD,
 * so YAML 1.1 reads it as a string whatever the words (no number, boolean or date has a space in it
 * and starts with a letter). Later words keep to characters that mean nothing mid-scalar.
 */
const PLAIN_WORDS = /^(?:--?|[./]+)?[A-Za-z][A-Za-z0-9_./-]*(?: +[A-Za-z0-9_./=@+%,&|-]+)+/;
/** `key: value` as an item's first line (`- key: value`). */
const PAIR = /^([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?$/;
/** Plain words YAML 1.1 reads as booleans, null or floats (any case): never taken as strings here. */
const SPECIAL_WORDS = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null", ".inf", ".nan"]);

/** One scalar at the start of `s`: its value and length, or NO. */
function scalar(s: string): { value: Scalar; length: number } | typeof NO {
  let m = DQ.exec(s) ?? SQ.exec(s);
  if (m) return { value: m[1]!, length: m[0].length };
  m = DOTTED.exec(s);
  if (m) return { value: m[0], length: m[0].length };
  m = DEC.exec(s);
  if (m) return { value: Number.parseFloat(m[0]), length: m[0].length };
  m = INT.exec(s);
  if (m) return { value: Number(m[0]), length: m[0].length };
  m = WORD.exec(s);
  if (m) {
    const w = m[0];
    if (w === "null") return { value: null, length: 4 };
    if (w === "true" || w === "false") return { value: w === "true", length: w.length };
    if (SPECIAL_WORDS.has(w.toLowerCase())) return NO;
    return { value: w, length: w.length };
  }
  return NO;
}

/** What may follow a value: nothing, or spaces and a comment. */
function restIsComment(rest: string): boolean {
  return rest === "" || /^ +(?:#.*)?$/.test(rest);
}

/** A scalar that fills a block position (after `key: ` or `- `), then maybe a comment. */
function blockScalar(s: string): Scalar | typeof NO {
  const one = scalar(s);
  if (one !== NO && restIsComment(s.slice(one.length))) return one.value;
  const words = PLAIN_WORDS.exec(s);
  if (words && restIsComment(s.slice(words[0].length))) return words[0];
  return NO;
}

/** A whole value (after `key: `): a scalar or a one-line `[...]` list of scalars, then maybe a comment. */
function value(s: string): unknown | typeof NO {
  if (s.startsWith("[")) {
    const items: Scalar[] = [];
    let rest = s.slice(1).replace(/^ +/, "");
    if (rest.startsWith("]")) return restIsComment(rest.slice(1)) ? items : NO;
    for (;;) {
      const item = scalar(rest);
      if (item === NO) return NO;
      items.push(item.value);
      rest = rest.slice(item.length).replace(/^ +/, "");
      if (rest.startsWith("]")) return restIsComment(rest.slice(1)) ? items : NO;
      if (!rest.startsWith(",")) return NO;
      rest = rest.slice(1).replace(/^ +/, "");
    }
  }
  return blockScalar(s);
}

const isBlankOrComment = (line: string) => /^ *(?:#.*)?$/.test(line);

function setNew(obj: Obj, key: string, v: unknown): boolean {
  if (key === "__proto__" || Object.hasOwn(obj, key)) return false; // duplicates: js-yaml's error
  if (SPECIAL_WORDS.has(key.toLowerCase())) return false; // YAML 1.1 reads the key `n:` as false
  obj[key] = v;
  return true;
}

/**
 * The block list starting at `lines[start]` (items indented at least `minIndent`): all scalars, or all
 * one-level mappings; null when no item follows. `next`: the first line after it.
 */
function blockList(
  lines: string[],
  start: number,
  minIndent: number,
): { value: Scalar[] | Obj[] | null; next: number } | typeof NO {
  const scalars: Scalar[] = [];
  const maps: Obj[] = [];
  let itemIndent: number | null = null;
  let i = start;
  while (i < lines.length) {
    const line = lines[i]!;
    const item = ITEM_LINE.exec(line);
    if (!item) break;
    const at = item[1]!.length;
    if (itemIndent === null) {
      if (at < minIndent) break;
      itemIndent = at;
    }
    if (at !== itemIndent) return NO;
    i++;
    const text = item[2]!;
    const pair = PAIR.exec(text);
    if (!pair) {
      const v = blockScalar(text);
      if (v === NO || maps.length > 0) return NO;
      scalars.push(v);
      continue;
    }
    if (scalars.length > 0) return NO;
    // A mapping: its first key on the item line, the others on lines starting at that key's column.
    const column = line.length - text.length;
    const map: Obj = {};
    let kv: RegExpExecArray | null = pair;
    for (;;) {
      const raw = kv[2] ?? "";
      if (raw === "" || raw.startsWith("#")) return NO; // a nested block or null: ask js-yaml
      const v = value(raw);
      if (v === NO || !setNew(map, kv[1]!, v)) return NO;
      const next = lines[i];
      if (next === undefined) break;
      const lead = next.length - next.trimStart().length;
      if (lead < column) break;
      if (lead > column) return NO;
      kv = PAIR.exec(next.slice(column));
      if (!kv) return NO;
      i++;
    }
    maps.push(map);
  }
  return { value: itemIndent === null ? null : maps.length > 0 ? maps : scalars, next: i };
}

/** config.yml's mapping, or null when the text is outside the subset (then ask js-yaml). */
export function readYamlSubset(text: string): Obj | null {
  if (/[\r\t\uFEFF]/.test(text)) return null;
  const lines = text.split("\n").filter((l) => !isBlankOrComment(l));
  const root: Obj = {};
  let i = 0;
  while (i < lines.length) {
    const top = KEY_LINE.exec(lines[i]!);
    if (!top || top[1] !== "") return null;
    const key = top[2]!;
    const inline = top[4] ?? "";
    i++;
    if (inline !== "" && !inline.startsWith("#")) {
      const v = value(inline);
      if (v === NO || !setNew(root, key, v)) return null;
      continue;
    }
    // `key:` alone: a nested mapping follows (indented), or nothing (null).
    const section: Obj = {};
    let indent: number | null = null;
    while (i < lines.length) {
      const line = lines[i]!;
      const lead = line.length - line.trimStart().length;
      if (lead === 0) break;
      const m = KEY_LINE.exec(line);
      if (!m) return null;
      if (indent === null) indent = lead;
      if (lead !== indent) return null;
      const v = m[4] ?? "";
      i++;
      if (v !== "" && !v.startsWith("#")) {
        const parsed = value(v);
        if (parsed === NO || !setNew(section, m[2]!, parsed)) return null;
        continue;
      }
      // `  key:` alone: a block list (items indented at least as far as the key), or null.
      const list = blockList(lines, i, indent);
      if (list === NO || !setNew(section, m[2]!, list.value)) return null;
      i = list.next;
    }
    if (!setNew(root, key, indent === null ? null : section)) return null;
  }
  return root;
}
