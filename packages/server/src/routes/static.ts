import { promises as fsp } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import type { Context } from "hono";
import { Hono } from "hono";
import { errorJson } from "../errors.js";

/**
 * Serves the built web UI. Files under `/assets/` are content-hashed by Vite, so they are cached for
 * a year (`immutable`); `index.html` is `no-cache` so a new build is picked up at once. Any other GET
 * outside `/api` that is not a file and has no file extension gets index.html (the SPA routes on the
 * client). Without a built UI, `/` explains how to build it. The security headers (nosniff included)
 * come from the app-wide middleware.
 *
 * Not @hono/node-server's `serveStatic`: on a real server it answered index.html 1.6–2.2× slower than
 * this handler at 10 connections (the JS bundle 1.3–1.5×): it streams every file, and these are small.
 * It would bring nothing needed here (ranges, precompressed files). See docs/decisions.md.
 */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

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

async function readFileIfAny(path: string): Promise<Buffer | null> {
  try {
    const st = await fsp.stat(path);
    if (!st.isFile()) return null;
    return await fsp.readFile(path);
  } catch {
    return null;
  }
}

export function staticRoutes(webRoot: string | null | undefined): Hono {
  let rootPromise: Promise<string | null> | null = null;
  const getRoot = (): Promise<string | null> => {
    rootPromise ??= webRoot === undefined ? defaultWebRoot() : Promise.resolve(webRoot);
    return rootPromise;
  };

  // HEAD is routed here as GET by Hono, which drops the body itself.
  const serve = async (c: Context) => {
    const path = c.req.path;
    if (path === "/api" || path.startsWith("/api/"))
      return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${path}`);
    const root = await getRoot();
    if (!root) {
      if (path === "/" || path === "/index.html") {
        return c.html(NOT_BUILT_HTML, 200, { "Cache-Control": "no-cache" });
      }
      return errorJson(c, "NOT_FOUND", `No route ${c.req.method} ${path}`);
    }
    const base = resolve(root);
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return errorJson(c, "NOT_FOUND", "Malformed path");
    }
    const file = resolve(base, `.${rel}`);
    const inside = file === base || file.startsWith(base + sep);
    const isAsset = rel.startsWith("/assets/");
    if (inside && !rel.includes("\0") && file !== base) {
      const data = await readFileIfAny(file);
      if (data) {
        const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
        const cache = isAsset ? IMMUTABLE : file.endsWith(".html") ? "no-cache" : "public, max-age=3600";
        return c.body(new Uint8Array(data), 200, {
          "Content-Type": type,
          "Content-Length": String(data.byteLength),
          "Cache-Control": cache,
        });
      }
    }
    // A missing hashed asset is a 404 (HTML in its place would only confuse the browser).
    // Likewise for any other missing file name with an extension (favicon.png, robots.txt).
    if (isAsset || (extname(rel) !== "" && extname(rel) !== ".html"))
      return errorJson(c, "NOT_FOUND", `No file ${rel}`);
    const index = await readFileIfAny(join(base, "index.html"));
    if (!index) return errorJson(c, "NOT_FOUND", "The web UI build has no index.html");
    // Content-Length here too: a HEAD answer keeps only the headers.
    return c.body(new Uint8Array(index), 200, {
      "Content-Type": TYPES[".html"]!,
      "Content-Length": String(index.byteLength),
      "Cache-Control": "no-cache",
    });
  };

  return new Hono().get("*", serve);
}
