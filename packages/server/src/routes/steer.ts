import { HTTP_CONTRACT, ROUTES } from "@codex-autorunner/core";
import { carPaths, deleteSteer, listSteer, queueSteer } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { jsonBody, reply } from "../validation.js";

/**
 * Steering (`car steer` over HTTP): list, queue, delete. Core owns the queue (one file per message,
 * limits, id checks: INVALID_ARGUMENT → 400); an unknown id is a 404 here.
 */
export function steerRoutes(ctx: AppContext): Hono {
  const paths = carPaths(ctx.root);
  return new Hono()
    .get(ROUTES.steerList.path, async (c) => reply(c, "steerList", await listSteer(paths.steerDir)))
    .post(ROUTES.steerPost.path, async (c) => {
      const { message } = await jsonBody(c, HTTP_CONTRACT.steerPost.body);
      return reply(c, "steerPost", await queueSteer(paths, message));
    })
    .delete(ROUTES.steerDelete.path, async (c) => {
      const id = c.req.param("id");
      const removed = await deleteSteer(paths.steerDir, id);
      if (!removed) throw new HttpError("NOT_FOUND", `No steering message ${id}`);
      return reply(c, "steerDelete", { deleted: removed.id });
    });
}
