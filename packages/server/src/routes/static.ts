import { promises as fsp } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { errorJson } from "../errors.js";

/**
 * Serves the built web UI with @hono/node-server's `serveStatic` (MIME types, HEAD, ranges; it refuses
 * `.`/`..` segments, backslashes and any `%` in the path, so nothing outside the root is reachable).
 * Files under `/assets/` are content-hashed by Vite, so they are cached for a year (`immutable`);
 * `index.html` is `no-cache` so a new build is picked up at once. Any other GET outside `/api` that
 * is not a file and has no file extension gets index.html (the SPA routes on the client). Without a
 * built UI, `/` explains how to build it. The security headers come from the app-wide middleware.
 */
export const IMMUTABLE = "public, max-age=31536000, immutable";

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>codex-autorunner</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>codex-autorunner</h1>
<p>The web UI is not built. Build it with <code>pnpm --filter @codex-autorunner/web build</code>, then reload.</p>
<p>The API is available under <code>/api</code> (for example <a href="/api/state">/api/state</a>).</p>
</body></html>
`;

/** The web package's assets folder, or null when the package (or its build) is absent. */
export async function defaultWebRoot(): Promise<string | null> {
  try {
    // A variable specifier keeps TypeScript and the bundler from requiring the package at build time.
    const specifier = "@codex-autorunner/web";
    const mod = (await import(specifier)) as { webAssetsDir?: unknown };
    const dir = typeof mod.webAssetsDir === "string" ? mod.webAssetsDir : null;
    if (!dir) return null;
    await fsp.access(join(dir, "index.html"));
    return dir;
  } catch {
    return null;
  }
}

interface Files {
  /** Serves the request's path if it names a file (a folder: its index.html); else resolves undefined. */
  file: MiddlewareHandler;
  /** Serves index.html; resolves undefined when the build has none. */
  index: MiddlewareHandler;
}

/**
 * Both handlers set Cache-Control by the file actually served. (serveStatic's `onFound` runs after it
 * built the response, so a header set there is lost; it only records the path here.)
 */
function filesUnder(root: string): Files {
  const assets = join(root, "assets") + sep;
  const served = new WeakMap<Context, string>();
  const onFound = (path: string, c: Context) => {
    served.set(c, resolve(path));
  };
  const withCache =
    (handler: MiddlewareHandler): MiddlewareHandler =>
    async (c, next) => {
      const res = await handler(c, next);
      const path = served.get(c);
      if (res && path) {
        const cache = path.startsWith(assets) ? IMMUTABLE : path.endsWith(".html") ? "no-cache" : "public, max-age=3600";
        res.headers.set("Cache-Control", cache);
      }
      return res;
    };
  return {
    file: withCache(serveStatic({ root, onFound })),
    index: withCache(serveStatic({ root, path: "index.html", onFound })),
  };
}

const unserved = async () => {};

export function staticRoutes(webRoot: string | null | undefined): Hono {
  let filesPromise: Promise<Files | null> | null = null;
  const getFiles = (): Promise<Files | null> => {
    filesPromise ??= (webRoot === undefined ? defaultWebRoot() : Promise.resolve(webRoot)).then((root) =>
      root ? filesUnder(resolve(root)) : null,
    );
    return filesPromise;
  };

  // HEAD is routed here as GET by Hono; serveStatic answers it without a body.
  const serve = async (c: Context) => {
    const path = c.req.path;
    if (path === "/api" || path.startsWith("/api/"))
      return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${path}`);
    const files = await getFiles();
    if (!files) {
      if (path === "/" || path === "/index.html") {
        return c.html(NOT_BUILT_HTML, 200, { "Cache-Control": "no-cache" });
      }
      return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${path}`);
    }
    const found = await files.file(c, unserved);
    if (found) return found;
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return errorJson(c, "NOT_FOUND", "Malformed path");
    }
    // A missing hashed asset is a 404 (HTML in its place would only confuse the browser).
    // Likewise for any other missing file name with an extension (favicon.png, robots.txt).
    if (rel.startsWith("/assets/") || (extname(rel) !== "" && extname(rel) !== ".html"))
      return errorJson(c, "NOT_FOUND", `No file ${rel}`);
    return (await files.index(c, unserved)) ?? errorJson(c, "NOT_FOUND", "The web UI build has no index.html");
  };

  return new Hono().get("*", serve);
}
