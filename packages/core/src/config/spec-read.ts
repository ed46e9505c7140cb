// Questions every consumer of a config spec asks: what a key expects (the phrase of errors, the docs'
// "value" column), its defaults, which spec governs a path, which keys of a file are unknown. Zod-free.
import { clone, isPlainObject } from "./merge.js";
import type { ConfigSpec, EnumKey, KeySpec, KeysSpec, NumberKey, ObjectListKey } from "./spec-types.js";

/** "a, b and c" (or "a, b or c") */
function joinAnd(words: readonly string[], last = "and"): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} ${last} ${words.at(-1)}`;
}

function numberPhrase(key: NumberKey): string {
  const noun = key.type === "int" ? "an integer" : "a number";
  if (key.min !== undefined && key.max !== undefined) return `${noun} from ${key.min} to ${key.max}`;
  const bounds = [
    key.min !== undefined ? `≥ ${key.min}` : "",
    key.gt !== undefined ? `> ${key.gt}` : "",
    key.max !== undefined ? `≤ ${key.max}` : "",
  ].filter(Boolean);
  return bounds.length ? `${noun} ${bounds.join(" and ")}` : noun;
}

/** The item keys' names, required ones (no default) separately: "{name, path, include_in_prompt}". */
function itemShape(keys: KeysSpec): { all: string[]; required: string[] } {
  const all = Object.keys(keys);
  return { all, required: all.filter((k) => keys[k]!.default === undefined) };
}

/** What one item of an object list must be: "a mapping with name and path". */
export function itemExpected(list: ObjectListKey): string {
  if (list.tag !== undefined) {
    return `a mapping with ${list.tag} ${joinAnd(Object.keys(list.variants ?? {}), "or")}`;
  }
  const { required } = itemShape(list.item ?? {});
  return required.length ? `a mapping with ${joinAnd(required)}` : "a mapping";
}

function basePhrase(key: KeySpec): string {
  switch (key.type) {
    case "string":
      if (key.pattern) return `a string matching ${key.pattern.source}`;
      return (key.minLength ?? 1) > 0 ? "a non-empty string" : "a string";
    case "int":
    case "number":
      return numberPhrase(key);
    case "bool":
      return "true or false";
    case "string-list":
      return "a list of strings";
    case "enum":
      return `one of ${key.values.join(", ")}`;
    case "object-list":
      return key.tag !== undefined
        ? `a list of mappings with ${key.tag} ${Object.keys(key.variants ?? {}).join("/")}`
        : `a list of {${itemShape(key.item ?? {}).all.join(", ")}}`;
  }
}

/** The phrase after "expected" in errors about this key (validators use it as their message). */
export function expectedOf(key: KeySpec): string {
  const phrase = key.expected ?? basePhrase(key);
  return key.nullable ? `${phrase} or null` : phrase;
}

/** Error for a value a `reserved` list refuses: "a name other than todo, progress and opinions". */
export function reservedExpected(keyName: string, reserved: readonly string[]): string {
  return `a ${keyName} other than ${joinAnd(reserved)}`;
}

/** Error for a repeated `unique` value: "a name not already used by docs.extras[0] (names are …)". */
export function uniqueExpected(keyName: string, listPath: string, firstIndex: number): string {
  return `a ${keyName} not already used by ${listPath}[${firstIndex}] (${keyName}s are case-insensitive)`;
}

export function isReserved(reserved: readonly string[] | undefined, value: string): boolean {
  return reserved?.includes(value.toLowerCase()) ?? false;
}

/**
 * The keys of one item of an object list. For a list with variants: the tag key (an enum of the
 * variant names) then the keys of the variant the item's tag names, or of no variant (tag alone) when
 * the tag is missing or unknown.
 */
export function itemKeys(list: ObjectListKey, item?: unknown): KeysSpec {
  if (list.tag === undefined) return list.item ?? {};
  const variants = list.variants ?? {};
  const tagKey: EnumKey = {
    type: "enum",
    values: Object.keys(variants),
    doc: `the kind of ${list.tag}: ${joinAnd(Object.keys(variants))}`,
  };
  const name = isPlainObject(item) ? item[list.tag] : undefined;
  const variant = typeof name === "string" && Object.hasOwn(variants, name) ? variants[name] : undefined;
  return { [list.tag]: tagKey, ...variant };
}

/** The defaults of a spec's sections, in spec order, `version: 1` first (fresh objects each call). */
export function defaultsOf(spec: ConfigSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { version: 1 };
  for (const [name, section] of Object.entries(spec)) {
    const values: Record<string, unknown> = {};
    for (const [key, k] of Object.entries(section.keys)) values[key] = clone(k.default);
    out[name] = values;
  }
  return out;
}

/** The spec governing a key path (`["docs", "extras", 0, "name"]`), or undefined for unknown keys. */
export function specAt(
  spec: ConfigSpec,
  path: ReadonlyArray<PropertyKey>,
  root?: unknown,
): KeySpec | undefined {
  const [section, key, ...rest] = path;
  if (typeof section !== "string" || typeof key !== "string" || !Object.hasOwn(spec, section))
    return undefined;
  const keys = spec[section]!.keys;
  let current: KeySpec | undefined = Object.hasOwn(keys, key) ? keys[key] : undefined;
  let value = isPlainObject(root) && isPlainObject(root[section]) ? root[section][key] : undefined;
  for (let i = 0; i < rest.length && current !== undefined; i += 2) {
    const [index, itemKey] = [rest[i], rest[i + 1]];
    if (current.type !== "object-list" || typeof index !== "number") return undefined;
    if (itemKey === undefined) return undefined;
    const item = Array.isArray(value) ? value[index] : undefined;
    const ik = itemKeys(current, item);
    if (typeof itemKey !== "string" || !Object.hasOwn(ik, itemKey)) return undefined;
    current = ik[itemKey];
    value = isPlainObject(item) ? item[itemKey] : undefined;
  }
  return current;
}

/** `runner.sleep_seconds`, `docs.extras[1].name` */
export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "(top level)" : out;
}

/**
 * Keys in a file's own mapping that the spec does not know (`runner.sleep_second`): kept, but worth a
 * warning since a typo silently leaves the default in force.
 */
export function unknownKeys(spec: ConfigSpec, raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walkKeys = (value: unknown, keys: KeysSpec, path: Array<string | number>) => {
    if (!isPlainObject(value)) return;
    for (const [name, child] of Object.entries(value)) {
      const k = Object.hasOwn(keys, name) ? keys[name] : undefined;
      if (k === undefined) out.push(formatKeyPath([...path, name]));
      else if (k.type === "object-list" && Array.isArray(child)) {
        for (const [i, item] of child.entries()) walkKeys(item, itemKeys(k, item), [...path, name, i]);
      }
    }
  };
  for (const [name, value] of Object.entries(raw)) {
    if (name === "version") continue;
    if (!Object.hasOwn(spec, name)) out.push(formatKeyPath([name]));
    else walkKeys(value, spec[name]!.keys, [name]);
  }
  return out;
}
