import { dump, loadAll, YAML11_SCHEMA, YAMLException } from "js-yaml";
import type { z } from "zod";
import { CarError } from "../errors.js";
import { clone, deepMerge, isPlainObject } from "./merge.js";
import {
  type Config,
  configSchema,
  DEFAULT_CHAT_ARGS,
  DEFAULT_CODEX_ARGS,
  DEFAULT_CONFIG,
} from "./schema.js";
import { describeTokenProblem } from "./token.js";

export { deepMerge, isPlainObject };

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
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === "object") return "a mapping";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `runner.sleep_seconds`, `docs.extras[1].name` */
export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function invalidConfig(file: string, merged: unknown, issues: z.core.$ZodIssue[]): CarError {
  const described = issues.map((issue) => {
    const key = formatKeyPath(issue.path);
    const value = valueAt(merged, issue.path);
    // A rejected token may still be someone's real secret: describe it, never echo it.
    const found =
      key === "server.auth_token" && typeof value === "string"
        ? describeTokenProblem(value)
        : describeFound(value);
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
  return { config: result.data, raw };
}

/**
 * Keys in the file's own mapping that the schema does not know (`runner.sleep_second`): kept, but
 * worth a warning (e.g. in `doctor`) since a typo silently leaves the default in force.
 */
export function unknownConfigKeys(raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, shape: unknown, path: Array<string | number>) => {
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const known = isPlainObject(shape) ? shape[key] : undefined;
      if (known === undefined && !(isPlainObject(shape) && key in shape)) {
        out.push(formatKeyPath([...path, key]));
      } else if (key === "extras" && path.length === 1 && path[0] === "docs" && Array.isArray(child)) {
        for (const [i, extra] of child.entries()) {
          walk(extra, { name: "", path: "", include_in_prompt: true }, [...path, key, i]);
        }
      } else {
        walk(child, known, [...path, key]);
      }
    }
  };
  walk(raw, DEFAULT_CONFIG, []);
  return out;
}

/** Commented starter config.yml; parses back to DEFAULT_CONFIG. */
export function renderDefaultConfigYaml(): string {
  const d = DEFAULT_CONFIG;
  const j = (v: unknown) => JSON.stringify(v);
  return `# codex-autorunner configuration. Paths are relative to the repository root (absolute allowed).
version: 1

docs:
  todo: ${j(d.docs.todo)}
  progress: ${j(d.docs.progress)}
  opinions: ${j(d.docs.opinions)}
  # Extra read-only docs shown to the agent as <NAME>...</NAME> blocks, e.g.
  #   - {name: spec, path: docs/spec.md, include_in_prompt: true}
  extras: []

codex:
  binary: ${j(d.codex.binary)}
  # The prompt goes to the agent on stdin ("-"). --json gives structured events (token usage, final
  # message). --dangerously-bypass-approvals-and-sandbox gives full access like the original's --yolo;
  # for a sandbox use instead: ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "-"]
  args: ${j(DEFAULT_CODEX_ARGS)}

chat:
  # Chat runs read-only: it answers questions and cannot edit the repo.
  args: ${j(DEFAULT_CHAT_ARGS)}

prompt:
  # How much of the previous run's output goes into the next prompt (last N characters).
  prev_run_max_chars: ${j(d.prompt.prev_run_max_chars)}
  # A doc larger than this many bytes is refused instead of being sent to the agent.
  max_doc_bytes: ${j(d.prompt.max_doc_bytes)}
  # Optional template overriding the built-in prompt; placeholders: {{TODO}}, {{PROGRESS}},
  # {{OPINIONS}}, {{PREV_RUN_OUTPUT}}, {{TODO_PATH}}, {{PROGRESS_PATH}}, {{OPINIONS_PATH}}, {{EXTRAS}}
  template: ${j(d.prompt.template)}

runner:
  sleep_seconds: ${j(d.runner.sleep_seconds)}         # pause between runs
  stop_after_runs: ${j(d.runner.stop_after_runs)}       # stop after N runs of one invocation (null: no limit)
  max_wallclock_seconds: ${j(d.runner.max_wallclock_seconds)} # stop after this long (null: no limit)
  run_timeout_seconds: ${j(d.runner.run_timeout_seconds)}   # kill a run taking longer (null: no limit)
  idle_timeout_seconds: ${j(d.runner.idle_timeout_seconds)}  # kill a run silent for this long (null: no limit)
  kill_grace_seconds: ${j(d.runner.kill_grace_seconds)}     # SIGTERM, then SIGKILL after this grace
  max_retries: ${j(d.runner.max_retries)}             # retries of a transient failure (same run id)
  retry_base_seconds: ${j(d.runner.retry_base_seconds)}      # first backoff delay, doubled per retry
  no_progress_runs: ${j(d.runner.no_progress_runs)}        # stop after N runs changing nothing (0/null: off)
  max_total_tokens: ${j(d.runner.max_total_tokens)}      # token budget of one invocation (null: none)

git:
  auto_commit: ${j(d.git.auto_commit)}
  commit_message_template: ${j(d.git.commit_message_template)}

server:
  host: ${j(d.server.host)}
  port: ${j(d.server.port)}
  auth_token: ${j(d.server.auth_token)}  # 16+ chars (or env CAR_AUTH_TOKEN); null: car serve makes one in server-token
  max_body_bytes: ${j(d.server.max_body_bytes)}
`;
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

  const header = /^(?:[ \t]*#[^\n]*\n)+/.exec(text.replace(/\r\n/g, "\n"))?.[0] ?? "";
  const out = header + dump(ordered(raw), { lineWidth: -1, noRefs: true });
  parseConfig(out, file);
  return out;
}

/** `version` first, so rewritten files look like the ones `init` writes. */
function ordered(raw: Record<string, unknown>): Record<string, unknown> {
  const { version, ...rest } = raw;
  return { version, ...rest };
}
