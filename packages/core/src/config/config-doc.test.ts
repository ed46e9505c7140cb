import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isPlainObject } from "./merge.js";
import { renderConfigReference } from "./reference.js";
import { DEFAULT_CONFIG } from "./schema.js";

/** Dotted paths of every setting (lists are one setting). */
function keyPaths(value: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    isPlainObject(v) ? keyPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

const doc = readFileSync(new URL("../../../../docs/config.md", import.meta.url), "utf8");

describe("docs/config.md", () => {
  it("is what the config spec generates", () => {
    expect(doc, "docs/config.md is stale: run `pnpm --filter @codex-autorunner/core gen:config-docs`").toBe(
      renderConfigReference(),
    );
  });

  it("has a row for every key the zod schema outputs, and for no other setting", () => {
    const documented = [...doc.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1] ?? "");
    const keys = keyPaths(DEFAULT_CONFIG).filter((k) => k !== "version");
    expect(documented.length).toBeGreaterThan(20);
    expect(documented).toEqual(keys);
    // List items' keys have rows of their own.
    expect(doc).toContain("| `docs.extras[].name` | required |");
  });
});
