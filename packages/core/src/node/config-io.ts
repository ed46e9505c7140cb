import { join } from "node:path";
import { parseConfig, setConfigValue } from "../config/parse.js";
import type { Config } from "../config/schema.js";
import { CarError } from "../errors.js";
import { readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import { CAR_DIR } from "./paths.js";

/** Repo-relative name used in error messages, as the user would type it. */
export const CONFIG_FILE = `${CAR_DIR}/config.yml`;

export interface LoadedConfig {
  config: Config;
  /** The file's own mapping before defaults were merged in. */
  raw: Record<string, unknown>;
  /** Absolute path of config.yml. */
  file: string;
  /** The file's text as read. */
  text: string;
}

export async function loadConfig(root: string): Promise<LoadedConfig> {
  const file = join(root, CONFIG_FILE);
  const text = await readTextIfExists(file);
  if (text === null) {
    throw new CarError("CONFIG_NOT_FOUND", `${CONFIG_FILE} not found in ${root}; run \`car init\` first.`, {
      file: CONFIG_FILE,
      hint: "run `car init`",
    });
  }
  const { config, raw } = parseConfig(text, CONFIG_FILE);
  return { config, raw, file, text };
}

/**
 * Set one key in config.yml (unknown keys kept; the value validated before anything is written) and
 * write the file atomically. Returns the reloaded config.
 */
export async function updateConfigFile(
  root: string,
  keyPath: string | readonly string[],
  value: unknown,
): Promise<LoadedConfig> {
  const { file, text } = await loadConfig(root);
  const next = setConfigValue(text, keyPath, value, CONFIG_FILE);
  await writeFileAtomic(file, next);
  const { config, raw } = parseConfig(next, CONFIG_FILE);
  return { config, raw, file, text: next };
}
