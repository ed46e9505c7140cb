// The fast start-up path's check (node/config-fast.ts), driven by the same spec as the zod schema and
// without zod: it either vouches for a merged config and returns exactly what the schema outputs (key
// order included: known keys in spec order, then unknown keys in file order), or returns null and the
// caller runs the zod schema, which gives the result or the precise error. Each rule here is at least
// as strict as its zod twin in schema.ts (config-fast.test.ts compares them on generated configs).
import { clone, isPlainObject } from "./merge.js";
import { isReserved, itemKeys } from "./spec-read.js";
import type { ConfigSpec, KeySpec, KeysSpec, ObjectListKey } from "./spec-types.js";

type Obj = Record<string, unknown>;
const NO = Symbol("not vouched for");
type Checked = unknown | typeof NO;

function scalarOk(key: KeySpec, v: unknown): boolean {
  switch (key.type) {
    case "string":
      return (
        typeof v === "string" &&
        v.length >= (key.minLength ?? 1) &&
        (key.pattern === undefined || key.pattern.test(v)) &&
        !isReserved(key.reserved, v)
      );
    case "int":
    case "number": {
      if (typeof v !== "number" || !(key.type === "int" ? Number.isSafeInteger(v) : Number.isFinite(v)))
        return false;
      return (
        (key.min === undefined || v >= key.min) &&
        (key.gt === undefined || v > key.gt) &&
        (key.max === undefined || v <= key.max)
      );
    }
    case "bool":
      return typeof v === "boolean";
    case "string-list":
      return Array.isArray(v) && v.every((s) => typeof s === "string");
    case "enum":
      return typeof v === "string" && key.values.includes(v);
    case "object-list":
      return false;
  }
}

function checkList(list: ObjectListKey, value: unknown): Checked {
  if (!Array.isArray(value)) return NO;
  const out: Obj[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    if (!isPlainObject(item)) return NO;
    if (list.tag !== undefined) {
      const tag = item[list.tag];
      if (typeof tag !== "string" || !Object.hasOwn(list.variants ?? {}, tag)) return NO;
    }
    const checked = checkObject(itemKeys(list, item), item);
    if (checked === NO) return NO;
    if (list.unique !== undefined) {
      const id = (checked as Obj)[list.unique];
      if (typeof id !== "string" || seen.has(id.toLowerCase())) return NO;
      seen.add(id.toLowerCase());
    }
    out.push(checked as Obj);
  }
  return out;
}

function checkKey(key: KeySpec, value: unknown): Checked {
  if (value === undefined) return key.default === undefined ? NO : clone(key.default);
  if (value === null) return key.nullable ? null : NO;
  if (key.type === "object-list") return checkList(key, value);
  return scalarOk(key, value) ? value : NO;
}

/** A mapping: its spec'd keys checked (defaults filled) in spec order, then its other keys as they are. */
function checkObject(keys: KeysSpec, value: Obj): Checked {
  const out: Obj = {};
  for (const [name, key] of Object.entries(keys)) {
    const checked = checkKey(key, value[name]);
    if (checked === NO) return NO;
    out[name] = checked;
  }
  for (const [name, v] of Object.entries(value)) if (!Object.hasOwn(keys, name)) out[name] = v;
  return out;
}

/** What the schema outputs for `merged` (a file's mapping merged over the defaults), or null. */
export function checkConfigFast(spec: ConfigSpec, merged: Obj): Obj | null {
  if (merged.version !== 1) return null;
  const out: Obj = { version: 1 };
  for (const [name, section] of Object.entries(spec)) {
    const value = merged[name];
    if (!isPlainObject(value)) return null;
    const checked = checkObject(section.keys, value);
    if (checked === NO) return null;
    out[name] = checked;
  }
  for (const [name, v] of Object.entries(merged)) if (!Object.hasOwn(out, name)) out[name] = v;
  return out;
}
