import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./errors.js";

/** Human-readable summary of zod issues: `content: expected a string; once: expected a boolean`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "body";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/**
 * Parses the JSON body against a schema. An empty body counts as `{}` when `emptyAsObject` (so
 * `POST /api/run/start` works without one); invalid JSON or a schema mismatch → 400 INVALID_ARGUMENT.
 */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  { emptyAsObject = false }: { emptyAsObject?: boolean } = {},
): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown;
  if (text.trim() === "") {
    if (!emptyAsObject)
      throw new HttpError("INVALID_ARGUMENT", "Request body is empty: expected a JSON object");
    value = {};
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError("INVALID_ARGUMENT", "Request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new HttpError("INVALID_ARGUMENT", `Invalid request body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Parses a query/path value against a schema → 400 naming the parameter. */
export function param<S extends z.ZodType>(name: string, value: string | undefined, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const found =
      value === undefined ? "nothing" : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    throw new HttpError(
      "INVALID_ARGUMENT",
      `Invalid ${name}: ${parsed.error.issues[0]?.message ?? "bad value"}, found ${found}`,
    );
  }
  return parsed.data;
}
