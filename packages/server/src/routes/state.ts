import { ROUTES, type StateBody } from "@codex-autorunner/core";
import { getStatus } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { reply } from "../validation.js";

export type { StateBody };

/**
 * The `GET /api/state` body, also the data of SSE `event: state`: core's `getStatus`, the same
 * object `car status --json` prints (the contract's one status shape).
 */
export function readStateBody(root: string): Promise<StateBody> {
  return getStatus(root);
}

export function stateRoutes(ctx: AppContext): Hono {
  return new Hono().get(ROUTES.state.path, async (c) => {
    c.header("Cache-Control", "no-store");
    return reply(c, "state", await readStateBody(ctx.root));
  });
}
