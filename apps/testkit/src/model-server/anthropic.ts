/**
 * The Anthropic Messages side of the scripted model server: POST /v1/messages as claude-code
 * 2.1.332 sends it (`?beta=true`, `stream: true`) and the SSE sequence it accepts (message_start,
 * content_block_start/delta/stop, message_delta with the output count, message_stop), recorded by
 * experiment. The server decides the step; this file only reads requests and writes answers.
 */
import type { ServerResponse } from "node:http";
import type {
  DropStep,
  FailedStep,
  HttpErrorStep,
  ModelRequest,
  ReplyStep,
  ResponsesRequestBody,
  ServedUsage,
} from "./types.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function blocksOf(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function textOfBlocks(blocks: Array<Record<string, unknown>>): string {
  return blocks
    .map((b) => (b.type === "text" && typeof b.text === "string" ? b.text : ""))
    .filter((t) => t.length > 0)
    .join("\n");
}

const isToolResult = (b: Record<string, unknown>) => b.type === "tool_result";

/** Derives prompt / tool results from the body claude sends (`messages`, user/assistant turns). */
export function describeMessagesRequest(
  body: ResponsesRequestBody | null,
): Pick<ModelRequest, "prompt" | "functionOutputs" | "isFollowUp"> {
  const users = (Array.isArray(body?.messages) ? body.messages : []).filter((m) => m.role === "user");
  // claude prepends `<system-reminder>` text blocks (git status, attribution) to the prompt's message.
  const first = blocksOf(users[0]?.content).filter(
    (b) => !(typeof b.text === "string" && b.text.trimStart().startsWith("<system-reminder>")),
  );
  const functionOutputs: ModelRequest["functionOutputs"] = [];
  for (const m of users.slice(1)) {
    for (const b of blocksOf(m.content).filter(isToolResult)) {
      functionOutputs.push({
        call_id: String(b.tool_use_id ?? ""),
        output: typeof b.content === "string" ? b.content : textOfBlocks(blocksOf(b.content)),
        isError: b.is_error === true,
      });
    }
  }
  const last = users.length > 1 ? users.at(-1) : undefined;
  const isFollowUp = last !== undefined && blocksOf(last.content).some(isToolResult);
  return { prompt: textOfBlocks(first), functionOutputs, isFollowUp };
}

/** Anthropic's input-side usage fields (message_start) from a ServedUsage. */
function messagesUsage(u: ServedUsage) {
  return {
    input_tokens: u.input_tokens,
    cache_read_input_tokens: u.cached_tokens,
    cache_creation_input_tokens: u.cache_creation_tokens ?? 0,
  };
}

/** The output side (message_delta): claude keeps the last output count and sums thinking_tokens. */
function outputUsage(u: ServedUsage) {
  return {
    output_tokens: u.output_tokens,
    output_tokens_details: { thinking_tokens: u.reasoning_tokens },
  };
}

function sse(res: ServerResponse, event: Record<string, unknown>): void {
  res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
}

function contentOf(step: ReplyStep, id: string): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  if (step.text !== undefined) blocks.push({ type: "text", text: step.text });
  (step.exec ?? []).forEach((command, i) => {
    blocks.push({
      type: "tool_use",
      id: `toolu_${id}_${i}`,
      name: "Bash",
      input: { command, description: "Run the scripted command" },
    });
  });
  return blocks;
}

function startMessage(res: ServerResponse, id: string, model: string, usage: Record<string, number>) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  sse(res, {
    type: "message_start",
    message: {
      id: `msg_${id}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The output count is only final in message_delta (claude keeps the last one).
      usage: { ...usage, output_tokens: 0 },
    },
  });
}

/** Answers a reply step: an SSE message (stream: true) or one JSON message (stream: false). */
export function writeMessagesReply(
  res: ServerResponse,
  step: ReplyStep,
  u: ServedUsage,
  id: string,
  body: ResponsesRequestBody | null,
): void {
  const model = typeof body?.model === "string" ? body.model : "claude-scripted";
  const content = contentOf(step, id);
  const stopReason = (step.exec ?? []).length > 0 ? "tool_use" : "end_turn";
  if (body?.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `msg_${id}`,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...messagesUsage(u), ...outputUsage(u) },
      }),
    );
    return;
  }
  startMessage(res, id, model, messagesUsage(u));
  content.forEach((block, index) => {
    if (block.type === "text") {
      sse(res, { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      sse(res, { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else {
      sse(res, { type: "content_block_start", index, content_block: { ...block, input: {} } });
      sse(res, {
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    sse(res, { type: "content_block_stop", index });
  });
  sse(res, {
    type: "message_delta",
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: outputUsage(u),
  });
  sse(res, { type: "message_stop" });
  res.end();
}

/** Anthropic's error body: `{type: "error", error: {type, message}}`. */
function messagesErrorBody(type: string, message: string, fields?: Record<string, unknown>) {
  return { type: "error", error: { type, message, ...fields } };
}

export function writeMessagesHttpError(res: ServerResponse, step: HttpErrorStep): void {
  res.writeHead(step.status, { "content-type": "application/json", ...step.headers });
  res.end(
    JSON.stringify(
      messagesErrorBody(step.errorType ?? "api_error", step.message ?? "error", step.errorFields),
    ),
  );
}

/** A stream that starts (nothing counted), sends some text, then loses its connection. */
export function writeMessagesDrop(res: ServerResponse, step: DropStep, id: string): void {
  startMessage(res, id, "claude-scripted", messagesUsage({ ...ZERO }));
  sse(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  sse(res, {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: step.partialText ?? "partial" },
  });
  // Let the bytes leave before cutting the connection, so claude sees a stream that broke.
  setTimeout(() => res.destroy(), 30);
}

/** A live stream that then stalls (hang afterCreated). */
export function writeMessagesStarted(res: ServerResponse, id: string): void {
  startMessage(res, id, "claude-scripted", messagesUsage({ ...ZERO }));
}

/** A stream that ends in an `error` event (what the API sends when it fails mid-stream). */
export function writeMessagesFailed(res: ServerResponse, step: FailedStep, id: string): void {
  startMessage(res, id, "claude-scripted", messagesUsage({ ...ZERO }));
  sse(res, messagesErrorBody(step.code, step.message));
  res.end();
}

const ZERO: ServedUsage = { input_tokens: 0, cached_tokens: 0, output_tokens: 0, reasoning_tokens: 0 };
