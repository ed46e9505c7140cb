import { deepMerge, isPlainObject } from "../config/merge.js";
import { CONFIG_SPEC, type Config } from "../config/spec.js";
import { checkConfigFast } from "../config/spec-check.js";
import { defaultsOf } from "../config/spec-read.js";
import { checkTargets } from "../notify/check.js";
import { readYamlSubset } from "./config-yaml-subset.js";

/**
 * Hot path of `loadConfig` for read-only commands: YAML → the same merge over defaults → a check
 * derived from the config spec (config/spec-check.ts, from the schema's own source), without loading
 * zod (loading zod costs more than starting node) or js-yaml: it reads the plain subset of YAML that
 * config files are written in (config-yaml-subset.ts). It never decides that a config is bad: anything
 * it does not positively recognise as valid (YAML outside the subset, a wrong type, a value out of
 * range) returns null, and the caller runs the full `parseConfig` (js-yaml + zod), which produces the
 * result or the precise error. When it accepts, its result equals what `parseConfig` returns, key
 * order included (config-fast.test.ts compares them).
 */

/** DEFAULT_CONFIG without zod: derived from the same spec as the schema (merged over, never changed). */
const DEFAULTS = defaultsOf(CONFIG_SPEC);

type Obj = Record<string, unknown>;

/** `parseConfig(text)`'s result when the text is a valid config it can vouch for, else null. */
export function parseConfigFast(text: string): { config: Config; raw: Record<string, unknown> } | null {
  const raw = readYamlSubset(text);
  if (raw === null) return null;
  if (raw.version !== undefined && raw.version !== null && raw.version !== 1) return null;
  const sections: Obj = { ...raw, version: 1 };
  for (const [key, value] of Object.entries(sections)) {
    if (value === null && isPlainObject(DEFAULTS[key])) delete sections[key];
  }
  const config = checkConfigFast(CONFIG_SPEC, deepMerge(DEFAULTS, sections)) as Config | null;
  // Notify targets' cross-key rules: parseConfig names the problem.
  if (config === null || checkTargets(config.notify.targets).length > 0) return null;
  return { config, raw };
}
