// Plain-object merging for config files. No zod or js-yaml here: the zod-free start-up path
// (node/config-fast.ts) uses the same functions as the full parser.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Merge `over` onto `base` without mutating either: plain objects merge key by key, arrays and
 * scalars replace, an explicit `null` replaces (it means "no limit" for many keys), `undefined` keeps
 * the base value.
 */
export function deepMerge<T>(base: T, over: unknown): T {
  if (over === undefined) return clone(base);
  if (!isPlainObject(base) || !isPlainObject(over)) return clone(over) as T;
  const out: Record<string, unknown> = clone(base) as Record<string, unknown>;
  for (const [key, value] of Object.entries(over)) {
    if (key === "__proto__") continue;
    out[key] = key in out ? deepMerge(out[key], value) : clone(value);
  }
  return out as T;
}

/**
 * Deep copy that copies a node shared through YAML aliases once and shares the copy: linear in the
 * file's distinct nodes, so an alias bomb ("billion laughs") costs what the YAML text costs instead of
 * expanding into billions of nodes.
 */
export function clone<T>(value: T, seen = new Map<object, unknown>()): T {
  if (value === null || typeof value !== "object") return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(clone(v, seen));
    return out as T;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) if (k !== "__proto__") out[k] = clone(v, seen);
    return out as T;
  }
  return value;
}
