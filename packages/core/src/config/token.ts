/**
 * What makes an access token usable (`server.auth_token`, env `CAR_AUTH_TOKEN`). Zod-free so the
 * fast config path and the server share the one rule. A token travels in an HTTP header and a URL and
 * is typed on phones: visible ASCII only, and long enough that guessing is hopeless.
 */

export const MIN_TOKEN_LENGTH = 16;
/** Visible ASCII only: no spaces, control or non-ASCII characters. */
export const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** The "expected" phrase of config errors about a token. */
export const TOKEN_EXPECTED = `a token of at least ${MIN_TOKEN_LENGTH} visible ASCII characters (no spaces)`;

export function isUsableToken(value: unknown): value is string {
  return typeof value === "string" && value.length >= MIN_TOKEN_LENGTH && TOKEN_PATTERN.test(value);
}

/** How an unusable token is described in an error: never its text, which may be a real secret. */
export function describeTokenProblem(value: string): string {
  if (value.trim() === "") return `${value.length === 0 ? "an empty string" : "only whitespace"}`;
  if (!TOKEN_PATTERN.test(value)) return "spaces, control or non-ASCII characters";
  return `${value.length} characters`;
}
