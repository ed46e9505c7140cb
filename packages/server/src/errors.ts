import {
  type ApiErrorBody,
  type ApiErrorCode,
  type ErrorStatus,
  isCarError,
  statusForCode,
} from "@codex-autorunner/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

/**
 * Every error response is JSON `{"detail": "...", "code": "..."}`: its shape, the HTTP-only codes and
 * the status of each code are core's contract (contract/errors.ts); this file turns thrown errors into it.
 */
export type { ApiErrorBody, ApiErrorCode, ErrorStatus, HttpOnlyCode } from "@codex-autorunner/core";
export { statusForCode };

/** A request error raised by the server itself (validation, auth); core's errors are CarErrors. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Body and status for anything thrown by a handler. Unknown errors are logged (never the request). */
export function errorResponseParts(err: unknown): { status: ErrorStatus; body: ApiErrorBody } {
  if (err instanceof HttpError) {
    return { status: statusForCode(err.code), body: { detail: err.message, code: err.code } };
  }
  if (err instanceof HTTPException) {
    const status = ([400, 401, 403, 404, 409, 413].includes(err.status) ? err.status : 500) as ErrorStatus;
    const code: ApiErrorCode =
      status === 413
        ? "PAYLOAD_TOO_LARGE"
        : status === 404
          ? "NOT_FOUND"
          : status < 500
            ? "INVALID_ARGUMENT"
            : "INTERNAL";
    return { status, body: { detail: err.message || "Request failed", code } };
  }
  if (isCarError(err)) {
    const body: ApiErrorBody = { detail: err.message, code: err.code };
    if (typeof err.details.pid === "number") body.pid = err.details.pid;
    return { status: statusForCode(err.code), body };
  }
  console.error("codex-autorunner server: unexpected error:", err);
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: { detail: `Internal error: ${message}`, code: "INTERNAL" } };
}

export function errorJson(c: Context, code: ApiErrorCode, detail: string): Response {
  return c.json({ detail, code } satisfies ApiErrorBody, statusForCode(code));
}

export function handleError(err: unknown, c: Context): Response {
  const { status, body } = errorResponseParts(err);
  return c.json(body, status);
}
