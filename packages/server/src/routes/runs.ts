import { carPaths, listRunRecords, readRunRecord } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { param } from "../validation.js";

export const MAX_PAGE = 500;

/** Decimal integer in [min, max], no sign, no exponent, no leading garbage (`..%2f`, `1e3`, `-1`). */
export function intString(min: number, max: number, what: string) {
  return z
    .string({ error: `expected ${what}` })
    .regex(/^\d{1,15}$/, { error: `expected ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `expected ${what}` });
}

const runId = intString(1, Number.MAX_SAFE_INTEGER, "a run id (an integer ≥ 1)");

export function parseRunId(value: string | undefined): number {
  return param("run id", value, runId);
}

/** `GET /api/runs?limit=&offset=` (newest first) and `GET /api/runs/:id`. */
export function runsRoutes(ctx: AppContext): Hono {
  return new Hono()
    .get("/api/runs", async (c) => {
      const limit = param(
        "limit",
        c.req.query("limit") ?? "50",
        intString(1, MAX_PAGE, `an integer from 1 to ${MAX_PAGE}`),
      );
      const offset = param(
        "offset",
        c.req.query("offset") ?? "0",
        intString(0, Number.MAX_SAFE_INTEGER, "an integer ≥ 0"),
      );
      const paths = carPaths(ctx.root, await ctx.getConfig());
      const { records, total, corrupt } = await listRunRecords(paths, { limit, offset });
      // Corrupt records are skipped (and named) but still count toward the page.
      const next = offset + limit < total ? offset + limit : null;
      return c.json({ runs: records, total, limit, offset, next, corrupt });
    })
    .get("/api/runs/:id", async (c) => {
      const id = parseRunId(c.req.param("id"));
      const paths = carPaths(ctx.root, await ctx.getConfig());
      const record = await readRunRecord(paths, id);
      if (!record) throw new HttpError("RUN_NOT_FOUND", `Run ${id} not found`);
      return c.json(record);
    });
}
