/**
 * Typed errors with stable codes. The CLI maps codes to exit codes and the server to HTTP
 * statuses (see `packages/cli/src/exit-codes.ts` and `packages/server/src/errors.ts`), so the
 * code strings are part of the public API: never rename one, only add.
 */
export const ERROR_CODES = [
  "CONFIG_NOT_FOUND", // .codex-autorunner/config.yml missing (repo not initialised)
  "CONFIG_YAML", // malformed YAML: details.line / details.column
  "CONFIG_INVALID", // schema violation: details.key, details.expected, details.found
  "CONFIG_VERSION", // version other than 1
  "NOT_A_REPO", // no git root found walking up
  "ALREADY_INITIALIZED", // init without --force over existing files
  "STATE_CORRUPT", // state.json unreadable / not matching schema
  "LOCK_HELD", // another live runner holds the lock: details.pid
  "LOCK_CORRUPT", // lock file unreadable
  "DOC_MISSING", // a configured doc does not exist: details.path
  "DOC_TOO_LARGE", // a doc over prompt.max_doc_bytes
  "DOC_CONFLICT", // If-Match etag mismatch
  "UNKNOWN_DOC", // doc kind not todo/progress/opinions/extra name
  "TEMPLATE_INVALID", // unknown placeholder in prompt template: details.placeholder
  "AGENT_NOT_FOUND", // agent binary not on PATH / not executable
  "AGENT_FAILED", // agent exited non-zero
  "RUN_NOT_FOUND", // no such run id in log / runs/
  "NOT_RUNNING", // stop/kill with no live runner
  "NO_PROGRESS", // no-progress breaker tripped
  "GIT_FAILED", // a git command failed
  "INVALID_ARGUMENT", // bad usage / bad request value
  "IO_ERROR", // unexpected filesystem error (wraps the cause)
  "INTERNAL", // a bug
  "RUN_RECORD_CORRUPT", // runs/<id>.json unreadable / not matching schema: details.file
  "DOC_NOT_TEXT", // a doc that is not UTF-8 text (NUL bytes, invalid UTF-8)
  "LISTEN_FAILED", // the server could not listen (port in use, permission denied)
  "HUB_REPO_NOT_FOUND", // no repo with that id in the hub: details.id
  "HUB_REPO_EXISTS", // the path is already one of the hub's repos: details.id
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CarErrorDetails {
  /** File the error is about, as the user would type it (repo-relative when possible). */
  file?: string;
  /** Dotted key path inside that file, e.g. `runner.sleep_seconds`. */
  key?: string;
  expected?: string;
  found?: string;
  line?: number;
  column?: number;
  pid?: number;
  [extra: string]: unknown;
}

export class CarError extends Error {
  override readonly name = "CarError";
  readonly code: ErrorCode;
  readonly details: CarErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    details: CarErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: CarErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isCarError(value: unknown, code?: ErrorCode): value is CarError {
  return value instanceof CarError && (code === undefined || value.code === code);
}
