import { z } from "zod";
import { clone, isPlainObject } from "./merge.js";
import { CONFIG_SPEC, type Config } from "./spec.js";
import {
  expectedOf,
  isReserved,
  itemExpected,
  itemKeys,
  reservedExpected,
  uniqueExpected,
} from "./spec-read.js";
import type { ConfigSpec, KeySpec, KeysSpec, ObjectListKey } from "./spec-types.js";

export {
  type Config,
  DEFAULT_CHAT_ARGS,
  DEFAULT_CLAUDE_ARGS,
  DEFAULT_CLAUDE_CHAT_ARGS,
  DEFAULT_CODEX_ARGS,
  EXTRA_NAME_PATTERN,
  type ExtraDocConfig,
  LEGACY_CODEX_ARGS,
  RESERVED_DOC_NAMES,
} from "./spec.js";

/**
 * The zod schema of config.yml, built from its one definition (spec.ts). Every object is loose so keys
 * we do not know (written by a newer version, or by the user for their own tooling) survive when the
 * tool rewrites the file.
 *
 * Convention: each validator's error message is the *expected* phrase ("a number ≥ 0", from
 * `expectedOf`), so `parseConfig` can report "key: expected X, found Y" without a translation table.
 */

const e = (expected: string) => ({ error: expected });

function valueSchema(key: KeySpec, name: string, path: string): z.ZodType {
  const what = e(expectedOf(key));
  switch (key.type) {
    case "string": {
      // abort: one message per value (a bad name is not also reported as reserved).
      let s = z.string(what);
      if ((key.minLength ?? 1) > 0) s = s.min(key.minLength ?? 1, { ...what, abort: true });
      if (key.pattern) s = s.regex(key.pattern, { ...what, abort: true });
      const reserved = key.reserved;
      if (reserved === undefined) return s;
      return s.refine((v) => !isReserved(reserved, v), e(reservedExpected(name, reserved)));
    }
    case "int":
    case "number": {
      let n = key.type === "int" ? z.number(what).int(what) : z.number(what);
      if (key.min !== undefined) n = n.min(key.min, what);
      if (key.gt !== undefined) n = n.gt(key.gt, what);
      if (key.max !== undefined) n = n.max(key.max, what);
      return n;
    }
    case "bool":
      return z.boolean(what);
    case "string-list":
      return z.array(z.string(e("a string")), what);
    case "enum":
      return z.enum(key.values as [string, ...string[]], what);
    case "object-list":
      return listSchema(key, path, what);
  }
}

function listSchema(list: ObjectListKey, path: string, what: { error: string }): z.ZodType {
  const itemError = e(itemExpected(list));
  let item: z.ZodType;
  if (list.tag === undefined) item = z.looseObject(shapeOf(itemKeys(list), `${path}[]`), itemError);
  else {
    const tag = list.tag;
    const tagError = e(expectedOf(itemKeys(list)[tag]!));
    // The tag key first (itemKeys' order), as the literal that tells the variants apart.
    const variants = Object.keys(list.variants ?? {}).map((v) =>
      z.looseObject(
        { ...shapeOf(itemKeys(list, { [tag]: v }), `${path}[]`), [tag]: z.literal(v, tagError) },
        itemError,
      ),
    );
    // A missing or unknown tag is reported at the tag: "type: expected one of command, webhook".
    item = z.discriminatedUnion(tag, variants as never, {
      error: (issue) => (issue.code === "invalid_union" ? tagError.error : itemError.error),
    });
  }
  const unique = list.unique;
  if (unique === undefined) return z.array(item, what);
  return z.array(item, what).superRefine((items, ctx) => {
    const seen = new Map<string, number>();
    items.forEach((it, i) => {
      const value = isPlainObject(it) ? it[unique] : undefined;
      if (typeof value !== "string") return;
      const lower = value.toLowerCase();
      const first = seen.get(lower);
      if (first === undefined) seen.set(lower, i);
      else ctx.addIssue({ code: "custom", path: [i, unique], message: uniqueExpected(unique, path, first) });
    });
  });
}

function keySchema(key: KeySpec, name: string, path: string): z.ZodType {
  let s = valueSchema(key, name, path);
  if (key.nullable) s = s.nullable();
  if (key.default !== undefined) {
    const value = key.default;
    s = s.default(() => clone(value) as never);
  }
  return s.meta({ description: key.doc, ...(key.example !== undefined ? { examples: [key.example] } : {}) });
}

function shapeOf(keys: KeysSpec, path: string): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, key] of Object.entries(keys)) shape[name] = keySchema(key, name, `${path}.${name}`);
  return shape;
}

/** The zod schema a config spec describes (exported for tests of the spec kit; use `configSchema`). */
export function buildConfigSchema(spec: ConfigSpec): z.ZodType {
  const shape: Record<string, z.ZodType> = { version: z.literal(1, e("1")).default(1) };
  for (const [name, section] of Object.entries(spec)) {
    shape[name] = z
      .looseObject(shapeOf(section.keys, name), e("a mapping"))
      .prefault({})
      .meta({ description: section.doc });
  }
  return z.looseObject(shape, e("a mapping of settings"));
}

export const configSchema = buildConfigSchema(CONFIG_SPEC) as z.ZodType<Config>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The full default configuration (what an empty config.yml means). Deep-frozen: shared by every
 * caller, so `structuredClone` it (or use `deepMerge`) before changing anything. */
export const DEFAULT_CONFIG: Config = deepFreeze(configSchema.parse({ version: 1 }));
