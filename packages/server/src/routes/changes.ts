import { HTTP_CONTRACT, ROUTES } from "@codex-autorunner/core";
import { rollbackRun, runDiffBody } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import { type AppContext, RUNNER_KEY } from "../context.js";
import { jsonBody, queryOf, reply } from "../validation.js";
import { parseRunId } from "./runs.js";

/**
 * What a run changed and the rollback to before it: core's run-api builds both bodies (the same ones
 * `car diff --json` / `car rollback --json` print). A rollback takes the runner lock itself and is
 * refused (409 LOCK_HELD) while a runner lives; it also waits its turn behind this server's starts and
 * kills, so a start in flight cannot slip in between its check and its lock.
 */
export function changesRoutes(ctx: AppContext): Hono {
  return new Hono()
    .get(ROUTES.runDiff.path, async (c) => {
      const id = parseRunId(c.req.param("id"));
      const { max_bytes } = queryOf(c, HTTP_CONTRACT.runDiff.query);
      return reply(c, "runDiff", await runDiffBody(ctx.root, id, { maxBytes: max_bytes }));
    })
    .post(ROUTES.runRollback.path, async (c) => {
      const id = parseRunId(c.req.param("id"));
      const { dry_run = false } = await jsonBody(c, HTTP_CONTRACT.runRollback.body, { emptyAsObject: true });
      const body = await ctx.control.run(RUNNER_KEY, () => rollbackRun(ctx.root, id, { dryRun: dry_run }));
      return reply(c, "runRollback", body);
    });
}
