import { z } from "zod";

/** Largest `limit` of `GET /api/runs`. */
export const MAX_PAGE = 500;
/** Largest `tail` of `GET /api/logs`. */
export const MAX_TAIL = 100_000;

/**
 * A query or path value that is a decimal integer in [min, max]: no sign, no exponent, no leading
 * garbage (`..%2f`, `1e3`, `-1`). Each parameter is checked on its own, so a 400 names it.
 */
export function intString(min: number, max: number, what: string) {
  return z
    .string({ error: `expected ${what}` })
    .regex(/^\d{1,15}$/, { error: `expected ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `expected ${what}` });
}

export const runIdParam = intString(1, Number.MAX_SAFE_INTEGER, "a run id (an integer ≥ 1)");
export const eventIdParam = intString(0, Number.MAX_SAFE_INTEGER, "an event id (an integer ≥ 0)");

const flag = () => z.boolean({ error: "expected true or false" }).optional();

/** `PUT /api/docs/:kind` body. */
export const saveDocBodySchema = z.object({ content: z.string({ error: "expected a string" }) });

/** `POST /api/run/start` and `/api/run/resume` body (an empty body counts as `{}`). */
export const runStartBodySchema = z.object({ once: flag() });

/** `POST /api/chat` body. */
export const chatBodySchema = z.object({
  message: z
    .string({ error: "expected a string" })
    .refine((m) => m.trim() !== "", { error: "the message is empty: expected a non-empty string" }),
  include_todo: flag(),
  include_progress: flag(),
  include_opinions: flag(),
});

/** `POST /api/runs/:id/rollback` body: `{dry_run: true}` plans and changes nothing. */
// Strict: a misspelt `dryRun` must not turn a planned dry run into a real rollback.
export const rollbackRequestSchema = z.strictObject({ dry_run: flag() });

/** Largest `max_bytes` of `GET /api/runs/:id/diff` (its default is DEFAULT_DIFF_PATCH_BYTES). */
export const MAX_DIFF_PATCH_BYTES = 4 * 1024 * 1024;
export const DEFAULT_DIFF_PATCH_BYTES = 512 * 1024;
