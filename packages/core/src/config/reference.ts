// docs/config.md, rendered from the spec. `pnpm --filter @codex-autorunner/core gen:config-docs`
// rewrites the file; config-doc.test.ts fails when it differs from this.
import { CONFIG_SPEC } from "./spec.js";
import { expectedOf, itemKeys } from "./spec-read.js";
import type { ConfigSpec, KeySpec, KeysSpec } from "./spec-types.js";

const INTRO = `# Configuration reference — \`.codex-autorunner/config.yml\`

<!-- Generated from packages/core/src/config/spec.ts by \`pnpm --filter @codex-autorunner/core gen:config-docs\`; edit the spec, not this file. -->

The file is YAML (read as YAML 1.1 like the original's PyYAML: \`yes\` is true), deep-merged over the
defaults below (mappings merge, lists and scalars replace, an explicit \`null\` is kept) and validated.
An invalid file stops every command with an error that names the file, the key path, what was
expected and what was found, e.g.

\`\`\`
car: .codex-autorunner/config.yml: runner.sleep_seconds: expected a number ≥ 0, found "five"
\`\`\`

Malformed YAML names the line and column. \`version\` must be \`1\` (a missing \`version\` is read as 1).
Keys the tool does not know are kept when the tool itself rewrites the file. Doc and template paths
are relative to the repo root; absolute paths are allowed.

Editors: \`car init\` writes the JSON Schema beside the file (\`.codex-autorunner/config.schema.json\`,
ignored by git) and starts config.yml with \`# yaml-language-server: $schema=./config.schema.json\`, so
editors using the YAML language server (VS Code's YAML extension, Neovim, Helix, …) complete keys,
show these descriptions and flag wrong values as you type. \`car doctor\` rewrites that copy when it is
missing or from another version of car. The schema also ships in the package, as
\`@codex-autorunner/core/config.schema.json\`.
`;

/** A value in a table cell: strings bare, lists as `[a, b]`. */
function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

const cell = (text: string) => text.replace(/\|/g, "\\|");
const code = (text: string) => `\`${text}\``;

function rows(keys: KeysSpec, prefix: string, note = ""): string[] {
  const out: string[] = [];
  for (const [name, key] of Object.entries(keys)) {
    const path = `${prefix}${name}`;
    const def = key.default === undefined ? "required" : code(show(key.default));
    out.push(`| ${code(path)} | ${cell(def)} | ${cell(expectedOf(key))} | ${cell(note + key.doc)} |`);
    out.push(...itemRows(key, `${path}[].`));
  }
  return out;
}

/** Rows of an object list's item keys (`docs.extras[].name`); a variant's keys say which variant. */
function itemRows(key: KeySpec, prefix: string): string[] {
  if (key.type !== "object-list") return [];
  if (key.tag === undefined) return rows(itemKeys(key), prefix);
  const out = rows({ [key.tag]: itemKeys(key)[key.tag]! }, prefix);
  for (const variant of Object.keys(key.variants ?? {})) {
    const { [key.tag]: _tag, ...own } = itemKeys(key, { [key.tag]: variant });
    out.push(...rows(own, prefix, `(${key.tag} ${variant}) `));
  }
  return out;
}

/** docs/config.md for a spec. */
export function renderConfigReference(spec: ConfigSpec = CONFIG_SPEC): string {
  const out = [INTRO.trimEnd()];
  for (const [name, section] of Object.entries(spec)) {
    out.push("", `## \`${name}\``, "", section.doc, "");
    out.push("| key | default | value | meaning |", "| --- | --- | --- | --- |");
    out.push(...rows(section.keys, `${name}.`));
  }
  return `${out.join("\n")}\n`;
}
