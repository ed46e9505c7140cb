import { Hono } from "hono";
import type { AppContext } from "../context.js";

/** `GET /health` → `{ok: true, version}`; no auth, so monitors can poll it. */
export function healthRoutes(ctx: AppContext): Hono {
  return new Hono().get("/health", (c) => c.json({ ok: true, version: ctx.version }));
}
