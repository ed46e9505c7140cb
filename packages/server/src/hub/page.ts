import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { defaultWebRoot, staticRoutes } from "../routes/static.js";

const HUB_NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>codex-autorunner hub</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>codex-autorunner hub</h1>
<p>The web UI is not built. Build it with <code>pnpm --filter @codex-autorunner/web build</code>, then reload.</p>
<p>The API is available: <code>/hub/repos</code>, <code>/hub/stream</code> and each repo's under <code>/repos/&lt;id&gt;/api/</code>.</p>
</body></html>
`;

/**
 * The hub's pages: `/` is the web build's `hub.html` (a small "not built" page without it), `/assets/*`
 * the build's hashed files shared by both pages, and `ui` serves a repo's own UI (index.html, SPA
 * fallback) for the path under `/repos/<id>/`, exactly as `car serve` serves it at `/`.
 */
export function hubPages(webRoot: string | null | undefined): { routes: Hono; ui: Hono } {
  let rootPromise: Promise<string | null> | null = null;
  const getRoot = () => {
    rootPromise ??= webRoot === undefined ? defaultWebRoot() : Promise.resolve(webRoot);
    return rootPromise;
  };
  const ui = staticRoutes(webRoot);
  const routes = new Hono()
    .get("/", async (c) => {
      const root = await getRoot();
      const page = root ? await fsp.readFile(join(root, "hub.html")).catch(() => null) : null;
      if (!page) return c.html(HUB_NOT_BUILT_HTML, 200, { "Cache-Control": "no-cache" });
      return c.body(new Uint8Array(page), 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": String(page.byteLength),
        "Cache-Control": "no-cache",
      });
    })
    .get("/assets/*", (c) => ui.fetch(c.req.raw, c.env));
  return { routes, ui };
}
