import { dump, loadAll, YAML11_SCHEMA, YAMLException } from "js-yaml";
import type { z } from "zod";
import { CarError } from "../errors.js";
import { checkTargets, describeProblems } from "../notify/check.js";
import { clone, deepMerge, isPlainObject } from "./merge.js";
import { type Config, configSchema, DEFAULT_CONFIG } from "./schema.js";
import { CONFIG_SPEC } from "./spec.js";
import { formatKeyPath, specAt, unknownKeys } from "./spec-read.js";
import type { KeySpec } from "./spec-types.js";
import { describeTokenProblem } from "./token.js";

export { deepMerge, formatKeyPath, isPlainObject };
export { renderDefaultConfigYaml } from "./starter.js";

export interface ParsedConfig {
  config: Config;
  /** The file's own mapping, before defaults were merged in (what `setConfigValue` rewrites). */
  raw: Record<string, unknown>;
}

/**
 * YAML 1.1 like the original's PyYAML `safe_load`, so `auto_commit: yes` still means true.
 * Returns the single document, `{}` for an empty file (or one holding only comments).
 */
export function loadYaml(text: string, file: string): unknown {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let docs: unknown[];
  try {
    docs = loadAll(source, { schema: YAML11_SCHEMA, maxAliases: 100 });
  } catch (err) {
    if (err instanceof YAMLException) {
      const line = err.mark ? err.mark.line + 1 : undefined;
      const column = err.mark ? err.mark.column + 1 : undefined;
      const where = line !== undefined ? ` at line ${line}, column ${column}` : "";
      throw new CarError(
        "CONFIG_YAML",
        `${file}: malformed YAML${where}: ${err.reason}`,
        { file, line, column },
        { cause: err },
      );
    }
    throw new CarError("CONFIG_YAML", `${file}: malformed YAML: ${String(err)}`, { file }, { cause: err });
  }
  if (docs.length > 1) {
    throw new CarError(
      "CONFIG_YAML",
      `${file}: expected one YAML document, found ${docs.length} (remove '---')`,
      {
        file,
      },
    );
  }
  return docs.length === 0 || docs[0] === null ? {} : docs[0];
}

/** "found" half of an error message: short, quoted strings, kinds for containers. */
function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${previewJson(value, PREVIEW_CHARS)})`;
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === "object") return "a mapping";
  const text = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const PREVIEW_CHARS = 60;

/**
 * The first `max` characters of `JSON.stringify(value)`, computed without serialising the rest: a YAML
 * alias bomb shares nodes, so the whole value can expand to billions of them. Every node visited adds
 * at least one character, so the walk stops after about `max` nodes.
 */
function previewJson(value: unknown, max: number): string {
  let out = "";
  const walk = (v: unknown): void => {
    if (out.length >= max) return;
    if (Array.isArray(v)) {
      out += "[";
      v.some((item, i) => {
        if (i > 0) out += ",";
        walk(item === undefined ? null : item);
        return out.length >= max;
      });
      out += "]";
    } else if (v instanceof Date) out += JSON.stringify(v.toISOString());
    else if (v !== null && typeof v === "object") {
      out += "{";
      Object.keys(v).some((k, i) => {
        out += `${i > 0 ? "," : ""}${JSON.stringify(k.slice(0, max))}:`;
        walk((v as Record<string, unknown>)[k]);
        return out.length >= max;
      });
      out += "}";
    } else if (typeof v === "string") out += JSON.stringify(v.slice(0, max));
    else out += typeof v === "number" && !Number.isFinite(v) ? "null" : String(JSON.stringify(v) ?? "null");
  };
  walk(value);
  return out.slice(0, max);
}

/**
 * What is said of a value that may be a secret (a token pasted into the wrong place): its shape,
 * never its text or any part of it.
 */
function describeHidden(value: unknown): string {
  if (typeof value === "string") return describeTokenProblem(value);
  if (typeof value === "number") return "a number";
  if (Array.isArray(value)) return `a list (${value.length} ${value.length === 1 ? "item" : "items"})`;
  return describeFound(value); // null, booleans, dates, mappings: nothing of a secret in them
}

/** Names that say "this is a credential" (`auth_tokn`, `password`, `client_secret`). */
const SECRET_NAME = /token|secret|passw/i;

/** Whether a key path names a credential by a key's name (for keys no spec marks). */
export function secretByName(path: ReadonlyArray<PropertyKey>): boolean {
  return path.some((seg) => typeof seg === "string" && SECRET_NAME.test(seg));
}

/**
 * config.yml's secrets: a key the spec marks `secret`, a container holding one (`server: "<token>"`
 * is a token in the wrong place), and a key the spec does not know whose name says it is a credential.
 */
function configSecret(path: ReadonlyArray<PropertyKey>, merged: unknown): boolean {
  const key = specAt(CONFIG_SPEC, path, merged);
  if (key !== undefined) return holdsSecret(key);
  if (secretByName(path)) return true;
  const [section, name] = path;
  if (typeof section !== "string" || !Object.hasOwn(CONFIG_SPEC, section)) return false;
  const keys = CONFIG_SPEC[section as keyof typeof CONFIG_SPEC].keys as Record<string, KeySpec>;
  // The section itself, or an item of one of its lists (`notify.targets[0]: "https://hooks…"`).
  if (name === undefined) return Object.values(keys).some(holdsSecret);
  return typeof name === "string" && Object.hasOwn(keys, name) && holdsSecret(keys[name]!);
}

function holdsSecret(key: KeySpec): boolean {
  if (key.secret === true) return true;
  if (key.type !== "object-list") return false;
  const itemSpecs = [key.item ?? {}, ...Object.values(key.variants ?? {})];
  return itemSpecs.some((keys) => Object.values(keys).some(holdsSecret));
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/**
 * CONFIG_INVALID for zod's issues over the merged file (config.yml, hub.yml): one `file: key: expected
 * …, found …` line per issue. `isSecret(path)` says which values are tokens.
 */
export function invalidConfig(
  file: string,
  merged: unknown,
  issues: z.core.$ZodIssue[],
  isSecret: (path: PropertyKey[]) => boolean = (path) => configSecret(path, merged),
): CarError {
  const described = issues.map((issue) => {
    const key = formatKeyPath(issue.path);
    const value = valueAt(merged, issue.path);
    // A rejected secret (a token) may still be someone's real one: describe it, never echo it.
    const found = isSecret(issue.path) ? describeHidden(value) : describeFound(value);
    return { key, expected: issue.message, found };
  });
  const lines = described.map((d) => `${file}: ${d.key}: expected ${d.expected}, found ${d.found}`);
  const first = described[0]!;
  return new CarError("CONFIG_INVALID", lines.join("\n"), {
    file,
    key: first.key,
    expected: first.expected,
    found: first.found,
    issues: described,
  });
}

/**
 * Parse config.yml text. `file` names the file in errors, as the user would type it.
 * A missing `version` is accepted as 1 (lenient with hand-written files); any other value is
 * CONFIG_VERSION.
 */
export function parseConfig(text: string, file: string): ParsedConfig {
  const loaded = loadYaml(text, file);
  if (!isPlainObject(loaded)) {
    throw new CarError(
      "CONFIG_INVALID",
      `${file}: expected a mapping of settings (key: value lines), found ${describeFound(loaded)}`,
      { file, key: "(top level)", expected: "a mapping of settings", found: describeFound(loaded) },
    );
  }
  const raw = loaded;
  if (raw.version !== undefined && raw.version !== null && raw.version !== 1) {
    const found = describeFound(raw.version);
    throw new CarError("CONFIG_VERSION", `${file}: version ${found} is not supported (expected 1)`, {
      file,
      key: "version",
      expected: "1",
      found,
    });
  }
  // A section left empty (`runner:` with every key commented out) is YAML null: read it as {}.
  const sections: Record<string, unknown> = { ...raw, version: 1 };
  for (const [key, value] of Object.entries(sections)) {
    if (value === null && isPlainObject((DEFAULT_CONFIG as Record<string, unknown>)[key]))
      delete sections[key];
  }
  const merged = deepMerge(DEFAULT_CONFIG, sections);
  const result = configSchema.safeParse(merged);
  if (!result.success) throw invalidConfig(file, merged, result.error.issues);
  // What the spec's vocabulary cannot say about notify targets (url or url_env, event names).
  const problems = checkTargets(result.data.notify.targets);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new CarError(
      "CONFIG_INVALID",
      describeProblems(problems)
        .split("\n")
        .map((l) => `${file}: ${l}`)
        .join("\n"),
      {
        file,
        key: first.key,
        expected: first.expected,
        ...(first.found !== undefined ? { found: first.found } : {}),
      },
    );
  }
  return { config: result.data, raw };
}

/**
 * Keys in the file's own mapping that the schema does not know (`runner.sleep_second`): kept, but
 * worth a warning (e.g. in `doctor`) since a typo silently leaves the default in force.
 */
export function unknownConfigKeys(raw: Record<string, unknown>): string[] {
  return unknownKeys(CONFIG_SPEC, raw);
}

/**
 * Set one key (`"runner.sleep_seconds"` or `["runner", "sleep_seconds"]`) and return the new file
 * text. Unknown keys are kept; `undefined` removes the key (back to its default). The result is
 * validated, so an invalid value throws CONFIG_INVALID and nothing is written by the caller.
 * Caveat: the file is re-dumped by js-yaml, which does not keep comments except the header block
 * of comment lines at the top of the file (kept verbatim).
 */
export function setConfigValue(
  text: string,
  keyPath: string | readonly string[],
  value: unknown,
  file = "config.yml",
): string {
  const segments = typeof keyPath === "string" ? keyPath.split(".") : [...keyPath];
  if (segments.length === 0 || segments.some((s) => s === "" || s === "__proto__")) {
    throw new CarError("INVALID_ARGUMENT", `invalid config key path ${JSON.stringify(keyPath)}`, {
      key: String(keyPath),
    });
  }
  const loaded = loadYaml(text, file);
  if (!isPlainObject(loaded)) parseConfig(text, file); // throws the precise error
  const raw = clone(loaded as Record<string, unknown>);
  let cur: Record<string, unknown> = raw;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const next = cur[seg];
    if (next === undefined || next === null) {
      if (value === undefined) return text;
      cur[seg] = {};
    } else if (!isPlainObject(next)) {
      const key = segments.slice(0, i + 1).join(".");
      throw new CarError(
        "INVALID_ARGUMENT",
        `${file}: ${key} is not a mapping, cannot set ${segments.join(".")}`,
        {
          file,
          key,
        },
      );
    }
    cur = cur[seg] as Record<string, unknown>;
  }
  const last = segments[segments.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = clone(value);
  if (raw.version === undefined) raw.version = 1;

  const out = dumpKeepingHeader(text, ordered(raw));
  parseConfig(out, file);
  return out;
}

/**
 * `raw` as YAML under `text`'s header block of comment lines (kept verbatim): how config.yml and
 * hub.yml are rewritten. js-yaml keeps no other comments.
 */
export function dumpKeepingHeader(text: string, raw: Record<string, unknown>): string {
  const header = /^(?:[ \t]*#[^\n]*\n)+/.exec(text.replace(/\r\n/g, "\n"))?.[0] ?? "";
  // Nodes the file shared through aliases stay shared (`&ref_0`/`*ref_0`): expanding them would turn
  // an alias bomb into gigabytes. Files without aliases have no shared nodes, so nothing changes there.
  return header + dump(raw, { lineWidth: -1, noRefs: false });
}

/** `version` first, so rewritten files look like the ones `init` writes. */
function ordered(raw: Record<string, unknown>): Record<string, unknown> {
  const { version, ...rest } = raw;
  return { version, ...rest };
}
