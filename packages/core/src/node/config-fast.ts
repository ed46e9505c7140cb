import { deepMerge, isPlainObject } from "../config/merge.js";
import type { Config } from "../config/schema.js";
import { isUsableToken } from "../config/token.js";
import { readYamlSubset } from "./config-yaml-subset.js";

/**
 * Hot path of `loadConfig` for read-only commands: YAML → the same merge over defaults → a structural
 * check, without loading zod (loading zod costs more than starting node) or js-yaml: it reads the plain
 * subset of YAML that config files are written in (config-yaml-subset.ts). It never decides that a
 * config is bad: anything it does not positively recognise as valid (YAML outside the subset, a wrong type, a
 * value out of range, a key it cannot vouch for) returns null, and the caller runs the full
 * `parseConfig` (js-yaml + zod), which produces the result or the precise error. When it accepts, its
 * result equals what `parseConfig` returns, key order included (checked by config-fast.test.ts
 * against the zod schema).
 */

/** DEFAULT_CONFIG (config/schema.ts) spelled out, in the schema's key order; a test keeps them equal. */
export function fastDefaults(): Config {
  return {
    version: 1,
    docs: {
      todo: ".codex-autorunner/TODO.md",
      progress: ".codex-autorunner/PROGRESS.md",
      opinions: ".codex-autorunner/OPINIONS.md",
      extras: [],
    },
    codex: {
      binary: "codex",
      args: ["exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "--skip-git-repo-check", "-"],
    },
    chat: { args: ["exec", "--json", "--sandbox", "read-only", "--skip-git-repo-check", "-"] },
    prompt: { prev_run_max_chars: 6000, max_doc_bytes: 2_097_152, template: ".codex-autorunner/prompt.txt" },
    runner: {
      sleep_seconds: 5,
      stop_after_runs: null,
      max_wallclock_seconds: null,
      run_timeout_seconds: null,
      idle_timeout_seconds: null,
      kill_grace_seconds: 10,
      max_retries: 3,
      retry_base_seconds: 5,
      no_progress_runs: 3,
      max_total_tokens: null,
    },
    git: { auto_commit: false, commit_message_template: "[codex] run #{run_id}" },
    server: { host: "127.0.0.1", port: 4173, auth_token: null, max_body_bytes: 1_048_576 },
  };
}

type Obj = Record<string, unknown>;

const str = (v: unknown) => typeof v === "string" && v.length > 0;
const num =
  (min: number, gt = false) =>
  (v: unknown) =>
    typeof v === "number" && Number.isFinite(v) && (gt ? v > min : v >= min);
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (v: unknown) =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
const orNull = (ok: (v: unknown) => boolean) => (v: unknown) => v === null || ok(v);
const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
const bool = (v: unknown) => typeof v === "boolean";

/**
 * Every key of every section with a check at least as strict as the schema's (config/schema.ts).
 * config-fast.test.ts fails when the schema gains a key this table lacks.
 */
export const FAST_CHECKS: Record<string, Record<string, (v: unknown) => boolean>> = {
  docs: { todo: str, progress: str, opinions: str, extras: Array.isArray },
  codex: { binary: str, args: strings },
  chat: { args: strings },
  prompt: { prev_run_max_chars: int(0), max_doc_bytes: int(1), template: str },
  runner: {
    sleep_seconds: num(0),
    stop_after_runs: orNull(int(1)),
    max_wallclock_seconds: orNull(num(0, true)),
    run_timeout_seconds: orNull(num(0, true)),
    idle_timeout_seconds: orNull(num(0, true)),
    kill_grace_seconds: num(0),
    max_retries: int(0),
    retry_base_seconds: num(0),
    no_progress_runs: orNull(int(0)),
    max_total_tokens: orNull(int(1)),
  },
  git: { auto_commit: bool, commit_message_template: str },
  server: { host: str, port: int(0, 65535), auth_token: orNull(isUsableToken), max_body_bytes: int(1) },
};

const EXTRA_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const RESERVED = new Set(["todo", "progress", "opinions"]);

/** The extras in the schema's output shape (name, path, include_in_prompt, then unknown keys), or null. */
function checkExtras(value: unknown): Obj[] | null {
  if (!Array.isArray(value)) return null;
  const seen = new Set<string>();
  const out: Obj[] = [];
  for (const extra of value) {
    if (!isPlainObject(extra)) return null;
    const { name, path, include_in_prompt, ...rest } = extra;
    if (typeof name !== "string" || !EXTRA_NAME.test(name) || !str(path)) return null;
    if (include_in_prompt !== undefined && typeof include_in_prompt !== "boolean") return null;
    const lower = name.toLowerCase();
    if (RESERVED.has(lower) || seen.has(lower)) return null;
    seen.add(lower);
    out.push({ name, path, include_in_prompt: include_in_prompt ?? true, ...rest });
  }
  return out;
}

function sectionsOk(c: Obj): boolean {
  if (c.version !== 1) return false;
  for (const [section, keys] of Object.entries(FAST_CHECKS)) {
    const value = c[section];
    if (!isPlainObject(value)) return false;
    for (const [key, ok] of Object.entries(keys)) if (!ok(value[key])) return false;
  }
  return true;
}

/** `parseConfig(text)`'s result when the text is a valid config it can vouch for, else null. */
export function parseConfigFast(text: string): { config: Config; raw: Record<string, unknown> } | null {
  const raw = readYamlSubset(text);
  if (raw === null) return null;
  if (raw.version !== undefined && raw.version !== null && raw.version !== 1) return null;
  const defaults = fastDefaults();
  const sections: Obj = { ...raw, version: 1 };
  for (const [key, value] of Object.entries(sections)) {
    if (value === null && isPlainObject((defaults as unknown as Obj)[key])) delete sections[key];
  }
  const merged = deepMerge(defaults as unknown as Obj, sections);
  if (!sectionsOk(merged)) return null;
  const extras = checkExtras((merged.docs as Obj).extras);
  if (extras === null) return null;
  (merged.docs as Obj).extras = extras;
  return { config: merged as unknown as Config, raw };
}
