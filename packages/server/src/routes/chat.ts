import { HTTP_CONTRACT, ROUTES } from "@codex-autorunner/core";
import { runChat } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { errorResponseParts } from "../errors.js";
import { SseWriter } from "../sse/writer.js";
import { chatEvent, jsonBody, reply } from "../validation.js";

/**
 * `POST /api/chat`: one agent run with the chat prompt (read-only sandbox by default), outside the
 * loop's state and run ids. The agent is a child process awaited asynchronously, so other requests go
 * on meanwhile. With `Accept: text/event-stream` the output streams as `event: line` frames, then
 * `event: done` `{chat_id, response}` (or `event: error` `{detail, code}`); a client that disconnects
 * stops the agent.
 */
export function chatRoutes(ctx: AppContext): Hono {
  return new Hono().post(ROUTES.chat.path, async (c) => {
    const body = await jsonBody(c, HTTP_CONTRACT.chat.body);
    const config = await ctx.getConfig();
    const streaming = (c.req.header("accept") ?? "").includes("text/event-stream");
    if (!streaming) {
      const signal = AbortSignal.any([c.req.raw.signal, ctx.signal]);
      const result = await runChat(ctx.root, { ...body, config, signal });
      return reply(c, "chat", result);
    }
    const sse = new SseWriter([c.req.raw.signal, ctx.signal]);
    const abort = new AbortController();
    sse.onClose(() => abort.abort());
    runChat(ctx.root, {
      ...body,
      config,
      signal: abort.signal,
      onLine: (stream, line) => {
        sse.send(chatEvent("line", { stream, line }));
      },
    })
      .then((result) => {
        sse.send(chatEvent("done", result));
      })
      .catch((err: unknown) => {
        if (!sse.closed) sse.send(chatEvent("error", errorResponseParts(err).body));
      })
      .finally(() => sse.close());
    return sse.response();
  });
}
