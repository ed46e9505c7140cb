// config.yml's JSON Schema, for editors (completion, hover docs, checks while typing). Generated from the
// zod schema, itself built from the spec: the package ships it as `@codex-autorunner/core/config.schema.json`
// (written at build time) and `car init` copies it beside config.yml.
import { z } from "zod";
import { configSchema } from "./schema.js";

/**
 * Draft-07, the draft every YAML/JSON editor understands. Input shape: keys with defaults are optional,
 * and unknown keys are allowed (the tool keeps them), like the parser.
 */
export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(configSchema, { io: "input", target: "draft-7" });
  return {
    $schema,
    title: "codex-autorunner .codex-autorunner/config.yml (version 1)",
    description: "Settings of codex-autorunner. Every key is optional; see docs/config.md.",
    ...rest,
  };
}

/** configJsonSchema() as the file's text. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
