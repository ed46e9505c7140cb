import {
  type ChatEventData,
  HTTP_CONTRACT,
  type RouteName,
  type RouteResponse,
  type RouteSpec,
} from "@codex-autorunner/core";
import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./errors.js";

/**
 * Requests are parsed with the contract's schemas (core's contract/), and responses are typed by it:
 * `reply(c, "state", body)` does not compile when `body` is not the route's response shape.
 */

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

/** A route's query parameters, each parsed by its contract schema (a 400 names the parameter). */
export function queryOf<Q extends Record<string, z.ZodType>>(
  c: Context,
  shape: Q,
): { [P in keyof Q]: z.output<Q[P]> } {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(shape)) out[name] = param(name, c.req.query(name), schema);
  return out as { [P in keyof Q]: z.output<Q[P]> };
}

/** The route's success answer: its contract's body, with its contract's status (200 or 202). */
export function reply<K extends RouteName>(c: Context, route: K, body: RouteResponse<K>): Response {
  const spec: RouteSpec = HTTP_CONTRACT[route];
  return c.json(body as object, spec.status ?? 200);
}

/** One event of a streamed `POST /api/chat`, typed by the contract. */
export function chatEvent<E extends keyof ChatEventData>(event: E, data: ChatEventData[E]) {
  return { event, data };
}
