import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { CarError } from "../errors.js";
import { parseConfigFast } from "./config-fast.js";
import { writeFileAtomic } from "./fs/atomic.js";
import { readSettingsFile } from "./fs/bounded-read.js";
import { CAR_DIR } from "./paths.js";

/** Repo-relative name used in error messages, as the user would type it. */
export const CONFIG_FILE = `${CAR_DIR}/config.yml`;

/** Far above any real config.yml; a bigger file (or /dev/zero linked in its place) is refused. */
export const CONFIG_MAX_BYTES = 1_048_576;

export interface LoadedConfig {
  config: Config;
  /** The file's own mapping before defaults were merged in. */
  raw: Record<string, unknown>;
  /** Absolute path of config.yml. */
  file: string;
  /** The file's text as read. */
  text: string;
}

/** The full parser (js-yaml + zod), loaded only when needed: importing zod costs more than starting node. */
function configParser(): Promise<typeof import("../config/parse.js")> {
  return import("../config/parse.js");
}

interface CachedConfig {
  key: string;
  loaded: LoadedConfig;
}

/**
 * Parsed configs by file, keyed by the file's (dev, ino, size, mtime, ctime): a changed file is re-read
 * on the next call. Bounded (a server sees one repo, a test run a few hundred).
 */
const cache = new Map<string, CachedConfig>();
const CACHE_MAX = 64;

/**
 * File timestamps are as coarse as the kernel's clock tick, so two same-size writes in place within one
 * tick can share a stat. Like git's "racy" check, a file changed less than this long before it was read
 * is not cached.
 */
const RACY_MS = 2000;

/** The stat key, or null when the file is missing or too freshly changed to trust its stat. */
async function statKey(file: string): Promise<string | null> {
  try {
    const now = Date.now();
    const st = await fsp.stat(file, { bigint: true });
    const changedMs = Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
    if (now - changedMs < RACY_MS) return null;
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return null;
  }
}

/** A copy the caller may change without touching the cache. */
function copyLoaded(l: LoadedConfig): LoadedConfig {
  return { config: structuredClone(l.config), raw: structuredClone(l.raw), file: l.file, text: l.text };
}

/**
 * Parse config.yml's text: the zod-free check first (valid configs), the full parser otherwise (so
 * every error is exactly the full parser's).
 */
async function parseText(text: string): Promise<{ config: Config; raw: Record<string, unknown> }> {
  const fast = parseConfigFast(text);
  if (fast) return fast;
  const { parseConfig } = await configParser();
  return parseConfig(text, CONFIG_FILE);
}

/**
 * config.yml of `root`, parsed and merged over the defaults. Cached by the file's stat: a long-lived
 * process (the server) parses it again only after it changed. Each call returns its own copy.
 */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const file = join(root, CONFIG_FILE);
  const before = await statKey(file);
  const hit = cache.get(file);
  if (before !== null && hit?.key === before) return copyLoaded(hit.loaded);
  const loaded = await readConfig(root);
  // Cache only when the file did not change while it was read (else the key could describe other bytes).
  if (before !== null && (await statKey(file)) === before) {
    cache.delete(file);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(file, { key: before, loaded: copyLoaded(loaded) });
  }
  return loaded;
}

async function readConfig(root: string): Promise<LoadedConfig> {
  const file = join(root, CONFIG_FILE);
  // Followed if a link (config.yml may live in a dotfiles repo), but never a FIFO, device or huge file.
  const text = await readSettingsFile(file, CONFIG_FILE, { maxBytes: CONFIG_MAX_BYTES, followLinks: true });
  if (text === null) {
    throw new CarError("CONFIG_NOT_FOUND", `${CONFIG_FILE} not found in ${root}; run \`car init\` first.`, {
      file: CONFIG_FILE,
      hint: "run `car init`",
    });
  }
  const { config, raw } = await parseText(text);
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
  const { file, text } = await readConfig(root);
  const { setConfigValue, parseConfig } = await configParser();
  const next = setConfigValue(text, keyPath, value, CONFIG_FILE);
  await writeFileAtomic(file, next);
  const { config, raw } = parseConfig(next, CONFIG_FILE);
  return { config, raw, file, text: next };
}
