import { HTTP_CONTRACT, MAX_TAIL, ROUTES } from "@codex-autorunner/core";
import { carPaths, LogReader } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { param, reply } from "../validation.js";
import { parseRunId } from "./runs.js";

export { MAX_TAIL };

/**
 * `GET /api/logs?run_id=N` → `{run_id, log}`; `?tail=N` → `{tail, log}`; neither → the last run's
 * block as `{run_id, log}` (`run_id: null, log: ""` before the first run). Reads go through core's
 * LogReader (index or backwards scan), so the cost does not grow with the log.
 */
export function logsRoutes(ctx: AppContext): Hono {
  return new Hono().get(ROUTES.logs.path, async (c) => {
    const runIdRaw = c.req.query("run_id");
    const tailRaw = c.req.query("tail");
    if (runIdRaw !== undefined && tailRaw !== undefined) {
      throw new HttpError("INVALID_ARGUMENT", "Give either run_id or tail, not both");
    }
    const paths = carPaths(ctx.root, await ctx.getConfig());
    const reader = new LogReader(paths.log, paths.logIndex);
    c.header("Cache-Control", "no-store");
    if (tailRaw !== undefined) {
      const tail = param("tail", tailRaw, HTTP_CONTRACT.logs.query.tail) as number;
      return reply(c, "logs", { tail, log: tail === 0 ? "" : await reader.tail(tail) });
    }
    const runId = runIdRaw !== undefined ? parseRunId(runIdRaw) : await reader.lastRunId();
    if (runId === null) return reply(c, "logs", { run_id: null, log: "" });
    const log = await reader.readRun(runId);
    if (log === null) throw new HttpError("RUN_NOT_FOUND", `Run ${runId} not found in the log`);
    return reply(c, "logs", { run_id: runId, log });
  });
}
