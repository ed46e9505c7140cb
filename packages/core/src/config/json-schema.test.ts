import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { configJsonSchema, renderConfigJsonSchema } from "./json-schema.js";
import { DEFAULT_CONFIG } from "./schema.js";
import { CONFIG_SPEC } from "./spec.js";

type Props = Record<
  string,
  { default?: unknown; properties?: Props; anyOf?: unknown[]; description?: string }
>;

describe("config.yml's JSON Schema", () => {
  it("describes every key with its default and doc (what editors show)", () => {
    const schema = configJsonSchema() as { $schema: string; properties: Props };
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    for (const [name, section] of Object.entries(CONFIG_SPEC)) {
      const props = schema.properties[name]?.properties ?? {};
      expect(Object.keys(props), name).toEqual(Object.keys(section.keys));
      for (const [key, spec] of Object.entries(section.keys)) {
        const defaults = DEFAULT_CONFIG[name as keyof typeof CONFIG_SPEC] as Record<string, unknown>;
        expect(props[key]?.default, `${name}.${key}`).toEqual(defaults[key]);
        expect(props[key]?.description, `${name}.${key}`).toBe(spec.doc);
      }
    }
    // The token rule (token.ts) reaches the editor too.
    expect(JSON.stringify(schema.properties.server?.properties?.auth_token?.anyOf)).toBe(
      '[{"type":"string","minLength":16,"pattern":"^[\\\\x21-\\\\x7e]+$"},{"type":"null"}]',
    );
  });

  it("ships in the built package as @codex-autorunner/core/config.schema.json", () => {
    const file = createRequire(import.meta.url).resolve("@codex-autorunner/core/config.schema.json");
    expect(file.endsWith("/packages/core/dist/config.schema.json")).toBe(true);
    expect(
      readFileSync(file, "utf8"),
      "dist/config.schema.json is stale: run `pnpm --filter @codex-autorunner/core build`",
    ).toBe(renderConfigJsonSchema());
  });
});
