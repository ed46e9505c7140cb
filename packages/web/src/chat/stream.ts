/**
 * Reading POST /api/chat with `Accept: text/event-stream`: `event: line` {stream, line} while the
 * agent works, then `event: done` {chat_id, response} or `event: error` {detail, code}. A server
 * that answers plain JSON instead ({chat_id, response}) is handled too.
 */
import { ApiError } from "../api/errors.js";
import { pumpText } from "../sse/client.js";
import { createSseParser } from "../sse/parser.js";

export interface ChatResult {
  chat_id: string | null;
  response: string;
}

export interface ChatStreamHandlers {
  /** One line of the agent's output as it streams. */
  onLine(line: string, stream: string): void;
}

export async function readChatResponse(res: Response, handlers: ChatStreamHandlers): Promise<ChatResult> {
  const type = res.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    const body = (await res.json()) as Partial<ChatResult>;
    return { chat_id: body.chat_id ?? null, response: body.response ?? "" };
  }
  if (!res.body) throw new ApiError(502, "HTTP_502", "The chat stream had no body.");
  let result: ChatResult | null = null;
  let failure: ApiError | null = null;
  const parser = createSseParser({
    onEvent(ev) {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        data = { line: ev.data };
      }
      if (ev.event === "line" || ev.event === "message") {
        handlers.onLine(String(data.line ?? ""), String(data.stream ?? "stdout"));
      } else if (ev.event === "done") {
        result = {
          chat_id:
            typeof data.chat_id === "string"
              ? data.chat_id
              : data.chat_id != null
                ? String(data.chat_id)
                : null,
          response: typeof data.response === "string" ? data.response : "",
        };
      } else if (ev.event === "error") {
        failure = new ApiError(
          500,
          typeof data.code === "string" ? data.code : "CHAT_FAILED",
          typeof data.detail === "string" ? data.detail : "The chat failed.",
        );
      }
    },
  });
  await pumpText(res.body, (t) => parser.feed(t));
  parser.feed("\n\n");
  if (failure) throw failure;
  if (!result) throw new ApiError(502, "HTTP_502", "The chat stream ended before the answer was complete.");
  return result;
}
