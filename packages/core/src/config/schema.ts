import { z } from "zod";
import { isUsableToken, TOKEN_EXPECTED } from "./token.js";

/**
 * `.codex-autorunner/config.yml`, version 1. Every object is loose so keys we do not know (written by
 * a newer version, or by the user for their own tooling) survive when the tool rewrites the file.
 *
 * Convention: each validator's error message is the *expected* phrase ("a number ≥ 0"), so
 * `parseConfig` can report "key: expected X, found Y" without a per-code translation table.
 */

/** Args for new configs: JSONL events, prompt on stdin (`-`), full access like the original's --yolo. */
export const DEFAULT_CODEX_ARGS: string[] = [
  "exec",
  "--json",
  "--dangerously-bypass-approvals-and-sandbox",
  "--skip-git-repo-check",
  "-",
];

/** What the original tool wrote; still valid (run as plain text output, prompt on stdin). */
export const LEGACY_CODEX_ARGS: string[] = ["--yolo", "exec", "--sandbox", "danger-full-access"];

/** Chat answers questions about the repo and must not edit it: read-only sandbox. */
export const DEFAULT_CHAT_ARGS: string[] = [
  "exec",
  "--json",
  "--sandbox",
  "read-only",
  "--skip-git-repo-check",
  "-",
];

/** Names used by the three fixed docs; an extra may not take one of them (compared case-insensitively). */
export const RESERVED_DOC_NAMES = ["todo", "progress", "opinions"] as const;
export const EXTRA_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

const e = (expected: string) => ({ error: expected });

const nonEmptyString = (what = "a non-empty string") => z.string(e(what)).min(1, e(what));
const stringArray = (what = "a list of strings") => z.array(z.string(e("a string")), e(what));
const bool = () => z.boolean(e("true or false"));

function number(what: string, opts: { min?: number; gt?: number; int?: boolean; max?: number } = {}) {
  let n = opts.int ? z.number(e(what)).int(e(what)) : z.number(e(what));
  if (opts.min !== undefined) n = n.min(opts.min, e(what));
  if (opts.gt !== undefined) n = n.gt(opts.gt, e(what));
  if (opts.max !== undefined) n = n.max(opts.max, e(what));
  return n;
}

const extraSchema = z.looseObject(
  {
    name: z
      .string(e("a name of letters, digits, _ and - starting with a letter"))
      .regex(EXTRA_NAME_PATTERN, e("a name of letters, digits, _ and - starting with a letter")),
    path: nonEmptyString("a file path"),
    include_in_prompt: bool().default(true),
  },
  e("a mapping with name and path"),
);

const docsSchema = z
  .looseObject(
    {
      todo: nonEmptyString("a file path").default(".codex-autorunner/TODO.md"),
      progress: nonEmptyString("a file path").default(".codex-autorunner/PROGRESS.md"),
      opinions: nonEmptyString("a file path").default(".codex-autorunner/OPINIONS.md"),
      extras: z.array(extraSchema, e("a list of {name, path, include_in_prompt}")).default([]),
    },
    e("a mapping"),
  )
  .superRefine((docs, ctx) => {
    const seen = new Map<string, number>();
    docs.extras.forEach((extra, i) => {
      const lower = extra.name.toLowerCase();
      if ((RESERVED_DOC_NAMES as readonly string[]).includes(lower)) {
        ctx.addIssue({
          code: "custom",
          path: ["extras", i, "name"],
          message: "a name other than todo, progress and opinions",
        });
      } else if (seen.has(lower)) {
        ctx.addIssue({
          code: "custom",
          path: ["extras", i, "name"],
          message: `a name not already used by docs.extras[${seen.get(lower)}] (names are case-insensitive)`,
        });
      } else {
        seen.set(lower, i);
      }
    });
  });

const codexSchema = z.looseObject(
  {
    binary: nonEmptyString("a program name or path").default("codex"),
    args: stringArray().default(() => [...DEFAULT_CODEX_ARGS]),
  },
  e("a mapping"),
);

const chatSchema = z.looseObject(
  { args: stringArray().default(() => [...DEFAULT_CHAT_ARGS]) },
  e("a mapping"),
);

const promptSchema = z.looseObject(
  {
    prev_run_max_chars: number("an integer ≥ 0", { int: true, min: 0 }).default(6000),
    /** A doc larger than this is refused rather than sent to the agent (models cap their context). */
    max_doc_bytes: number("an integer ≥ 1", { int: true, min: 1 }).default(2_097_152),
    template: nonEmptyString("a file path").default(".codex-autorunner/prompt.txt"),
  },
  e("a mapping"),
);

const runnerSchema = z.looseObject(
  {
    sleep_seconds: number("a number ≥ 0", { min: 0 }).default(5),
    stop_after_runs: number("an integer ≥ 1 or null", { int: true, min: 1 }).nullable().default(null),
    max_wallclock_seconds: number("a number > 0 or null", { gt: 0 }).nullable().default(null),
    run_timeout_seconds: number("a number > 0 or null", { gt: 0 }).nullable().default(null),
    idle_timeout_seconds: number("a number > 0 or null", { gt: 0 }).nullable().default(null),
    kill_grace_seconds: number("a number ≥ 0", { min: 0 }).default(10),
    max_retries: number("an integer ≥ 0", { int: true, min: 0 }).default(3),
    retry_base_seconds: number("a number ≥ 0", { min: 0 }).default(5),
    /** 0 or null disables the no-progress breaker. */
    no_progress_runs: number("an integer ≥ 0 or null", { int: true, min: 0 }).nullable().default(3),
    max_total_tokens: number("an integer ≥ 1 or null", { int: true, min: 1 }).nullable().default(null),
  },
  e("a mapping"),
);

const gitSchema = z.looseObject(
  {
    auto_commit: bool().default(false),
    commit_message_template: nonEmptyString("a non-empty string").default("[codex] run #{run_id}"),
  },
  e("a mapping"),
);

const serverSchema = z.looseObject(
  {
    host: nonEmptyString("a host name or IP address").default("127.0.0.1"),
    port: number("an integer from 0 to 65535", { int: true, min: 0, max: 65535 }).default(4173),
    auth_token: z
      .string(e(`${TOKEN_EXPECTED} or null`))
      .refine(isUsableToken, e(`${TOKEN_EXPECTED} or null`))
      .nullable()
      .default(null),
    max_body_bytes: number("an integer ≥ 1", { int: true, min: 1 }).default(1_048_576),
  },
  e("a mapping"),
);

export const configSchema = z.looseObject(
  {
    version: z.literal(1, e("1")).default(1),
    docs: docsSchema.prefault({}),
    codex: codexSchema.prefault({}),
    chat: chatSchema.prefault({}),
    prompt: promptSchema.prefault({}),
    runner: runnerSchema.prefault({}),
    git: gitSchema.prefault({}),
    server: serverSchema.prefault({}),
  },
  e("a mapping of settings"),
);

export type Config = z.infer<typeof configSchema>;
export type ExtraDocConfig = Config["docs"]["extras"][number];

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The full default configuration (what an empty config.yml means). Deep-frozen: shared by every
 * caller, so `structuredClone` it (or use `deepMerge`) before changing anything. */
export const DEFAULT_CONFIG: Config = deepFreeze(configSchema.parse({ version: 1 }));
