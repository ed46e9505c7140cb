/**
 * Turning failed requests into messages a person can act on. The server answers errors as the
 * contract's `{"detail": "...", "code": "..."}` (ApiErrorBody); anything else (a proxy's HTML page, a
 * dropped connection) still becomes an ApiError with a useful detail instead of "Unexpected token <".
 */
import type { ApiErrorBody } from "@codex-autorunner/core";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status; 0 when the request never got a response. */
    readonly status: number,
    /** The server's stable code (e.g. DOC_CONFLICT), or one of ours: HTTP_<status>, NETWORK. */
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }

  get conflict(): boolean {
    return this.status === 409;
  }
}

const MAX_DETAIL = 300;

/** Build the error for a non-2xx response from its status and body text. */
export function apiErrorFrom(status: number, statusText: string, bodyText: string): ApiError {
  let detail = "";
  let code = "";
  const trimmed = bodyText.trim();
  if (trimmed.startsWith("{")) {
    try {
      const body = JSON.parse(trimmed) as Partial<ApiErrorBody>;
      if (typeof body.detail === "string") detail = body.detail;
      if (typeof body.code === "string") code = body.code;
    } catch {
      // Not JSON after all: fall through to the text.
    }
  }
  if (!detail && trimmed && !trimmed.startsWith("<")) detail = trimmed;
  if (!detail) detail = defaultDetail(status, statusText);
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  return new ApiError(status, code || `HTTP_${status}`, detail);
}

export function networkError(cause: unknown): ApiError {
  const why = cause instanceof Error && cause.message ? ` (${cause.message})` : "";
  return new ApiError(0, "NETWORK", `Cannot reach the server${why}. Is \`car serve\` still running?`);
}

function defaultDetail(status: number, statusText: string): string {
  switch (status) {
    case 401:
      return "Unauthorized: this server needs an access token.";
    case 403:
      return "Forbidden.";
    case 404:
      return "Not found.";
    case 409:
      return "Conflict: it changed on the server.";
    case 413:
      return "Too large for the server to accept.";
    default:
      return `HTTP ${status}${statusText ? ` ${statusText}` : ""}`;
  }
}

/** One-line message for a banner, with the next step for the errors users can fix themselves. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) {
      return `${err.detail.replace(/\.?$/, ".")} Enter the server's token (CAR_AUTH_TOKEN / server.auth_token) in the Token field.`;
    }
    return err.detail;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
