import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isPlainObject } from "./merge.js";
import { DEFAULT_CONFIG } from "./schema.js";

/** Dotted paths of every setting (lists are one setting). */
function keyPaths(value: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    isPlainObject(v) ? keyPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

const doc = readFileSync(new URL("../../../../docs/config.md", import.meta.url), "utf8");
/** The keys in the reference table's first column. */
const documented = [...doc.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1] ?? "");

describe("docs/config.md", () => {
  it("lists every key of the schema", () => {
    const missing = keyPaths(DEFAULT_CONFIG).filter((k) => !documented.includes(k));
    expect(missing).toEqual([]);
  });

  it("lists no key the schema does not have", () => {
    const keys = keyPaths(DEFAULT_CONFIG);
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((k) => !keys.includes(k))).toEqual([]);
  });
});
