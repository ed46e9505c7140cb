import { runChat } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { errorResponseParts } from "../errors.js";
import { SseWriter } from "../sse/writer.js";
import { jsonBody } from "../validation.js";

const flag = () => z.boolean({ error: "expected true or false" }).optional();

const chatSchema = z.object({
  message: z
    .string({ error: "expected a string" })
    .refine((m) => m.trim() !== "", { error: "the message is empty: expected a non-empty string" }),
  include_todo: flag(),
  include_progress: flag(),
  include_opinions: flag(),
});

/**
 * `POST /api/chat`: one agent run with the chat prompt (read-only sandbox by default), outside the
 * loop's state and run ids. The agent is a child process awaited asynchronously, so other requests go
 * on meanwhile. With `Accept: text/event-stream` the output streams as `event: line` frames, then
 * `event: done` `{chat_id, response}` (or `event: error` `{detail, code}`); a client that disconnects
 * stops the agent.
 */
export function chatRoutes(ctx: AppContext): Hono {
  return new Hono().post("/api/chat", async (c) => {
    const body = await jsonBody(c, chatSchema);
    const config = await ctx.getConfig();
    const streaming = (c.req.header("accept") ?? "").includes("text/event-stream");
    if (!streaming) {
      const signal = AbortSignal.any([c.req.raw.signal, ctx.signal]);
      const result = await runChat(ctx.root, { ...body, config, signal });
      return c.json(result);
    }
    const sse = new SseWriter([c.req.raw.signal, ctx.signal]);
    const abort = new AbortController();
    sse.onClose(() => abort.abort());
    runChat(ctx.root, {
      ...body,
      config,
      signal: abort.signal,
      onLine: (stream, line) => {
        sse.send({ event: "line", data: { stream, line } });
      },
    })
      .then((result) => {
        sse.send({ event: "done", data: result });
      })
      .catch((err: unknown) => {
        if (!sse.closed) sse.send({ event: "error", data: errorResponseParts(err).body });
      })
      .finally(() => sse.close());
    return sse.response();
  });
}
