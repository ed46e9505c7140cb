import { z } from "zod";
import { isPlainObject } from "../config/merge.js";
import { dumpKeepingHeader, invalidConfig, loadYaml, secretByName } from "../config/parse.js";
import { MIN_TOKEN_LENGTH, TOKEN_EXPECTED, TOKEN_PATTERN } from "../config/token.js";
import { HUB_PATH_NO_NUL, hubPathSchema } from "../contract/hub.js";

/** Where the hub serves by default (`car hub serve`); `car serve` keeps its own. */
export const HUB_DEFAULT_HOST = "127.0.0.1";
export const HUB_DEFAULT_PORT = 4180;
/** Folder levels below the root that discovery walks (the root's children are level 1). */
export const HUB_DEFAULT_DISCOVER_DEPTH = 2;

/** What each key takes, in words: the "expected" of an error (zod's own messages are for developers). */
const EXPECTED: Record<string, string> = {
  repos: "a list of paths",
  "repos[]": "a path (text)",
  exclude: "a list of paths",
  "exclude[]": "a path (text)",
  discover_depth: "a whole number from 0 to 8",
  max_concurrent_runs: "a whole number ≥ 1, or null (no cap)",
  allow_outside_root: "true or false",
  server: "a mapping (host, port, auth_token)",
  "server.host": "a host name or address",
  "server.port": "a port number (0-65535)",
  "server.auth_token": `${TOKEN_EXPECTED}, or null`,
};

const path = hubPathSchema;

/** hub.yml: every key optional; a missing file means these defaults. Unknown keys are errors. */
export const hubManifestSchema = z.strictObject({
  repos: z.array(path).default([]),
  exclude: z.array(path).default([]),
  discover_depth: z.number().int().min(0).max(8).default(HUB_DEFAULT_DISCOVER_DEPTH),
  max_concurrent_runs: z.number().int().min(1).nullable().default(null),
  allow_outside_root: z.boolean().default(false),
  server: z
    .strictObject({
      host: z.string().min(1).default(HUB_DEFAULT_HOST),
      port: z.number().int().min(0).max(65535).default(HUB_DEFAULT_PORT),
      // The same rule as config.yml's server.auth_token.
      auth_token: z.string().min(MIN_TOKEN_LENGTH).regex(TOKEN_PATTERN).nullable().default(null),
    })
    .default({ host: HUB_DEFAULT_HOST, port: HUB_DEFAULT_PORT, auth_token: null }),
});
export type HubManifest = z.output<typeof hubManifestSchema>;

/** The keys of hub.yml, for the "expected one of" message of an unknown key. */
const KEYS: Record<string, string[]> = {
  "": Object.keys(hubManifestSchema.shape),
  server: ["host", "port", "auth_token"],
};

/**
 * Parse hub.yml text (`file` names it in errors). CONFIG_YAML for malformed YAML, CONFIG_INVALID naming
 * the key, what was expected and what was found (an unknown key too), like config.yml's errors.
 */
export function parseHubManifest(text: string, file: string): HubManifest {
  const loaded = loadYaml(text, file);
  if (!isPlainObject(loaded)) {
    throw invalidConfig(file, loaded, [
      { code: "custom", path: [], message: "a mapping of hub settings (key: value lines)", input: loaded },
    ]);
  }
  // An empty `server:` section is YAML null: read it as {}.
  const raw = loaded.server === null ? { ...loaded, server: {} } : loaded;
  const result = hubManifestSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue): z.core.$ZodIssue[] =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          code: "custom",
          path: [...issue.path, key],
          message: `a known key (${(KEYS[issue.path.join(".")] ?? []).join(", ")})`,
          input: undefined,
        }))
      : issue.message === HUB_PATH_NO_NUL
        ? [issue]
        : [{ ...issue, message: EXPECTED[keyPattern(issue.path)] ?? issue.message }],
  );
  // A rejected token may still be someone's real one: described, never echoed.
  throw invalidConfig(file, raw, issues, isHubSecret);
}

/**
 * What hub.yml's errors never echo: everything under `server` but host and port (`server: "<token>"`,
 * `auth_token: [<token>]`, a typo'd `auth_tokn:`), and any key named like a credential.
 */
function isHubSecret(path: readonly PropertyKey[]): boolean {
  if (path[0] === "server" && !(path.length === 2 && (path[1] === "host" || path[1] === "port"))) return true;
  return secretByName(path);
}

/** `repos[]` for `["repos", 2]`: the EXPECTED entry of a path. */
function keyPattern(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? "[]" : String(p)))
    .join(".")
    .replace(/\.\[\]/g, "[]");
}

/**
 * hub.yml's text with new `repos:` and `exclude:` lists, other keys (and the header comment) kept; a
 * list left empty is dropped. The result is checked, so a broken file is never written.
 */
export function setHubLists(
  text: string,
  lists: { repos: readonly string[]; exclude: readonly string[] },
  file: string,
): string {
  const loaded = text.trim() === "" ? {} : loadYaml(text, file);
  if (!isPlainObject(loaded)) parseHubManifest(text, file); // throws the precise error
  const raw: Record<string, unknown> = { ...(loaded as Record<string, unknown>) };
  for (const key of ["repos", "exclude"] as const) {
    if (lists[key].length > 0) raw[key] = [...lists[key]];
    else delete raw[key];
  }
  const out =
    Object.keys(raw).length === 0
      ? dumpKeepingHeader(text, {}).replace(/\{\}\n$/, "")
      : dumpKeepingHeader(text, raw);
  parseHubManifest(out, file);
  return out;
}
