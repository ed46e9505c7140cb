import { HTTP_CONTRACT, isCarError, ROUTES, type RouteResponse } from "@codex-autorunner/core";
import { docKinds, readDoc, writeDoc } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { jsonBody, reply } from "../validation.js";

/** The If-Match header as core takes it (quoted, bare, `W/` or `*`); blank → no check. */
function ifMatchOf(header: string | undefined): string | undefined {
  const v = header?.trim();
  return v ? v : undefined;
}

/**
 * Docs: `GET /api/docs`, `GET|PUT /api/docs/:kind`. A PUT with `If-Match` is a compare-and-swap;
 * core serialises check-and-write per file, so of concurrent PUTs with the same etag exactly one wins.
 */
export function docsRoutes(ctx: AppContext): Hono {
  async function knownKind(kind: string): Promise<string> {
    const config = await ctx.getConfig();
    const kinds = docKinds(config) as readonly string[];
    const match = kinds.find((k) => k === kind) ?? kinds.find((k) => k.toLowerCase() === kind.toLowerCase());
    if (!match) {
      const shown = kind.length > 60 ? `${kind.slice(0, 60)}…` : kind;
      throw new HttpError("UNKNOWN_DOC", `Unknown doc "${shown}": expected one of ${kinds.join(", ")}`);
    }
    return match;
  }

  return new Hono()
    .get(ROUTES.docs.path, async (c) => {
      const config = await ctx.getConfig();
      const read = async (kind: string): Promise<string> => {
        try {
          return (await readDoc(ctx.root, config, kind)).content;
        } catch (err) {
          if (isCarError(err, "DOC_MISSING")) return "";
          throw err;
        }
      };
      const [todo, progress, opinions] = await Promise.all([
        read("todo"),
        read("progress"),
        read("opinions"),
      ]);
      const body: RouteResponse<"docs"> = { todo, progress, opinions };
      if (config.docs.extras.length > 0) {
        const extras: Record<string, string> = {};
        for (const extra of config.docs.extras) extras[extra.name] = await read(extra.name);
        body.extras = extras;
      }
      return reply(c, "docs", body);
    })
    .get(ROUTES.doc.path, async (c) => {
      const kind = await knownKind(c.req.param("kind"));
      const doc = await readDoc(ctx.root, await ctx.getConfig(), kind);
      c.header("ETag", doc.etag);
      c.header("Cache-Control", "no-store");
      return reply(c, "doc", doc);
    })
    .put(ROUTES.saveDoc.path, async (c) => {
      const kind = await knownKind(c.req.param("kind"));
      const { content } = await jsonBody(c, HTTP_CONTRACT.saveDoc.body);
      const ifMatch = ifMatchOf(c.req.header("if-match"));
      const config = await ctx.getConfig();
      const doc = await writeDoc(ctx.root, config, kind, content, { ifMatch });
      c.header("ETag", doc.etag);
      return reply(c, "saveDoc", doc);
    });
}
