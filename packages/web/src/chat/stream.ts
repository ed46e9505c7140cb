/**
 * Reading POST /api/chat with `Accept: text/event-stream`, whose events are core's contract
 * (CHAT_EVENTS): `event: line` {stream, line} while the agent works, then `event: done` (the chat's
 * result) or `event: error` {detail, code}.
 */
import type { ChatEventData, ChatResult } from "@codex-autorunner/core";
import { ApiError } from "../api/errors.js";
import { pumpText } from "../sse/client.js";
import { createSseParser } from "../sse/parser.js";

export type { ChatResult };

export interface ChatStreamHandlers {
  /** One line of the agent's output as it streams. */
  onLine(line: string, stream: string): void;
}

export async function readChatResponse(res: Response, handlers: ChatStreamHandlers): Promise<ChatResult> {
  if (!res.body) throw new ApiError(502, "HTTP_502", "The chat stream had no body.");
  let result: ChatResult | null = null;
  let failure: ApiError | null = null;
  const parser = createSseParser({
    onEvent(ev) {
      let data: ChatEventData[keyof ChatEventData];
      try {
        data = JSON.parse(ev.data) as ChatEventData[keyof ChatEventData];
      } catch {
        return; // not the contract's JSON: nothing to show
      }
      if (ev.event === "line") {
        const line = data as ChatEventData["line"];
        handlers.onLine(line.line, line.stream);
      } else if (ev.event === "done") {
        result = data as ChatEventData["done"];
      } else if (ev.event === "error") {
        const err = data as ChatEventData["error"];
        failure = new ApiError(500, err.code, err.detail);
      }
    },
  });
  await pumpText(res.body, (t) => parser.feed(t));
  parser.feed("\n\n");
  if (failure) throw failure;
  if (!result) throw new ApiError(502, "HTTP_502", "The chat stream ended before the answer was complete.");
  return result;
}
