import { join } from "node:path";
import { SCHEMA_MODELINE_PREFIX } from "../config/starter.js";
import { readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";

/**
 * Editors find config.yml's JSON Schema through the first line `car init` writes,
 * `# yaml-language-server: $schema=./config.schema.json`: a copy of the installed car's schema beside
 * config.yml (ignored by git). A path into node_modules or the package's absolute path would break
 * when car is upgraded, installed elsewhere, or the repo is cloned on another machine; the copy is
 * written by `car init` and brought up to date by `car doctor`.
 */
export const CONFIG_SCHEMA_FILE = "config.schema.json";
export const CONFIG_SCHEMA_REF = `./${CONFIG_SCHEMA_FILE}`;

/** Whether config.yml's leading comments point editors at the copy (so keeping it current is ours). */
export function referencesSchemaCopy(configText: string): boolean {
  const header = /^(?:\uFEFF)?(?:[ \t]*(?:#[^\n]*)?\r?\n)*/.exec(configText)?.[0] ?? "";
  return header
    .split(/\r?\n/)
    .some((line) => line.trim() === `${SCHEMA_MODELINE_PREFIX}${CONFIG_SCHEMA_REF}`);
}

/**
 * Write the schema of this version of car to `<carDir>/config.schema.json` unless it is already there
 * byte for byte. Loads zod (the schema is generated from it), so callers are init and doctor only.
 */
export async function syncConfigSchema(carDir: string): Promise<"current" | "created" | "updated"> {
  const { renderConfigJsonSchema } = await import("../config/json-schema.js");
  const file = join(carDir, CONFIG_SCHEMA_FILE);
  const want = renderConfigJsonSchema();
  let action = "read";
  try {
    const have = await readTextIfExists(file);
    if (have === want) return "current";
    action = "write";
    // Atomic rename: a symlink here is replaced by the file, never written through.
    await writeFileAtomic(file, want);
    return have === null ? "created" : "updated";
  } catch (err) {
    throw fsError(err, file, action);
  }
}
