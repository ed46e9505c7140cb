import { ROUTES } from "@codex-autorunner/core";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { reply } from "../validation.js";

/** `GET /health` → `{ok: true, version}`; no auth, so monitors can poll it. */
export function healthRoutes(ctx: AppContext): Hono {
  return new Hono().get(ROUTES.health.path, (c) => reply(c, "health", { ok: true, version: ctx.version }));
}
