// The commented starter config.yml `car init` writes, rendered from the spec: every section and key
// with its default, the key's hint as a comment (beside it when short, above it otherwise) and its
// example. The text stays inside the YAML subset the fast path reads (node/config-yaml-subset.ts).
import { dump } from "js-yaml";
import { CONFIG_SPEC } from "./spec.js";
import type { ConfigSpec, KeySpec } from "./spec-types.js";

/** The comment editors (yaml-language-server: VS Code, Neovim, Helix, …) read to find the schema. */
export const SCHEMA_MODELINE_PREFIX = "# yaml-language-server: $schema=";

export interface StarterOptions {
  /** Path (relative to config.yml) or URL of the JSON Schema, written as the first line's modeline. */
  schema?: string;
  /** Values written instead of the defaults, by `section.key` (`car init --agent claude`: runner.agent). */
  values?: Readonly<Record<string, unknown>>;
}

/** Comment lines wrap at this width (the hand-written starter used up to 104 characters). */
const WIDTH = 104;

/** `# text` lines at `indent`, wrapped at spaces to WIDTH; `\n` in the text starts a new line. */
function commentLines(text: string, indent: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line !== "" && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
        out.push(line);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out.map((l) => `${indent}# ${l}`.trimEnd());
}

/** A value as YAML that is also JSON (a flow scalar or list), as config files have always been written. */
const valueText = (value: unknown) => JSON.stringify(value);

interface KeyLines {
  above: string[];
  line: string;
  trailing?: string;
}

function keyLines(name: string, key: KeySpec, value: unknown): KeyLines {
  const line = `  ${key.commented ? "# " : ""}${name}: ${valueText(value)}`;
  const hint = key.hint ?? "";
  if (key.example === undefined) {
    if (hint !== "" && !hint.includes("\n") && line.length + 4 + hint.length <= WIDTH) {
      return { above: [], line, trailing: hint };
    }
    return { above: hint === "" ? [] : commentLines(hint, "  "), line };
  }
  const example = key.example;
  if (example === null || typeof example !== "object") {
    return { above: commentLines(`${hint}${hint ? ", e.g." : "e.g."} ${valueText(example)}`, "  "), line };
  }
  const block = dump(example, { flowLevel: 1, lineWidth: -1 }).trimEnd().split("\n");
  return {
    above: [...commentLines(`${hint}${hint ? ", e.g." : "e.g."}`, "  "), ...block.map((l) => `  #   ${l}`)],
    line,
  };
}

/** The starter config.yml for a spec: parses back to the spec's defaults (and `options.values`). */
export function renderStarterConfig(spec: ConfigSpec, options: StarterOptions = {}): string {
  const out: string[] = [];
  if (options.schema !== undefined) out.push(`${SCHEMA_MODELINE_PREFIX}${options.schema}`);
  out.push(
    "# codex-autorunner configuration. Paths are relative to the repository root (absolute allowed).",
    "version: 1",
  );
  for (const [sectionName, section] of Object.entries(spec)) {
    out.push("", ...(section.hint ? commentLines(section.hint, "") : []), `${sectionName}:`);
    const values = options.values ?? {};
    const keys = Object.entries(section.keys).map(([name, key]) => {
      const path = `${sectionName}.${name}`;
      return keyLines(name, key, Object.hasOwn(values, path) ? values[path] : key.default);
    });
    // Comments beside keys line up within a section.
    const column = Math.max(0, ...keys.filter((k) => k.trailing).map((k) => k.line.length));
    for (const k of keys) {
      out.push(...k.above, k.trailing ? `${k.line.padEnd(column)}  # ${k.trailing}` : k.line);
    }
  }
  return `${out.join("\n")}\n`;
}

/** The starter config.yml `car init` writes; parses back to DEFAULT_CONFIG. */
export function renderDefaultConfigYaml(options: StarterOptions = {}): string {
  return renderStarterConfig(CONFIG_SPEC, options);
}
