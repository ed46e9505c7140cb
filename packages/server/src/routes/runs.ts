import { HTTP_CONTRACT, ROUTES, runIdParam } from "@codex-autorunner/core";
import { carPaths, listRunRecords, readRunRecord } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { param, queryOf, reply } from "../validation.js";

export function parseRunId(value: string | undefined): number {
  return param("run id", value, runIdParam);
}

/** `GET /api/runs?limit=&offset=` (newest first) and `GET /api/runs/:id`. */
export function runsRoutes(ctx: AppContext): Hono {
  return new Hono()
    .get(ROUTES.runs.path, async (c) => {
      const { limit, offset } = queryOf(c, HTTP_CONTRACT.runs.query);
      const paths = carPaths(ctx.root, await ctx.getConfig());
      const { records, total, corrupt } = await listRunRecords(paths, { limit, offset });
      // Corrupt records are skipped (and named) but still count toward the page.
      const next = offset + limit < total ? offset + limit : null;
      return reply(c, "runs", { runs: records, total, limit, offset, next, corrupt });
    })
    .get(ROUTES.run.path, async (c) => {
      const id = parseRunId(c.req.param("id"));
      const paths = carPaths(ctx.root, await ctx.getConfig());
      const record = await readRunRecord(paths, id);
      if (!record) throw new HttpError("RUN_NOT_FOUND", `Run ${id} not found`);
      return reply(c, "run", record);
    });
}
