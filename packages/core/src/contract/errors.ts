import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../errors.js";

/**
 * Every error response is JSON `{"detail": "...", "code": "..."}` (also the data of an SSE
 * `event: error`): the original's `detail` plus a stable code. Core's CarError codes map to statuses
 * here; the HTTP-only codes cover what core has no word for (auth, routing, body size).
 */
export const HTTP_ONLY_CODES = [
  "NOT_FOUND",
  "UNAUTHORIZED",
  "FORBIDDEN_HOST",
  "FORBIDDEN_ORIGIN",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
] as const;

export type HttpOnlyCode = (typeof HTTP_ONLY_CODES)[number];
export type ApiErrorCode = ErrorCode | HttpOnlyCode;

export const apiErrorSchema = z.strictObject({
  detail: z.string(),
  code: z.enum([...ERROR_CODES, ...HTTP_ONLY_CODES]),
  /** LOCK_HELD: the PID of the live runner holding the lock. */
  pid: z.number().int().optional(),
});

export type ApiErrorBody = z.output<typeof apiErrorSchema>;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500;

const STATUS_BY_CODE: Partial<Record<ApiErrorCode, ErrorStatus>> = {
  INVALID_ARGUMENT: 400,
  UNKNOWN_DOC: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_HOST: 403,
  FORBIDDEN_ORIGIN: 403,
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  HUB_REPO_NOT_FOUND: 404,
  DOC_MISSING: 404,
  DOC_CONFLICT: 409,
  LOCK_HELD: 409,
  NOT_RUNNING: 409,
  HUB_REPO_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  DOC_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** The HTTP status an error code is answered with (500 for the codes not listed). */
export function statusForCode(code: ApiErrorCode): ErrorStatus {
  return STATUS_BY_CODE[code] ?? 500;
}
