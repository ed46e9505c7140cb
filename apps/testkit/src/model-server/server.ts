/**
 * A scripted model server on 127.0.0.1 for driving the real Codex CLI and Claude Code offline.
 * codex POSTs /v1/responses with `stream: true` and reads Server-Sent Events; the event sequence
 * below is what codex-cli 0.169 accepts (verified by experiment, see docs/codex.md). claude POSTs
 * /v1/messages; the same script answers it in the Anthropic protocol (anthropic.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  describeMessagesRequest,
  writeMessagesDrop,
  writeMessagesFailed,
  writeMessagesHttpError,
  writeMessagesReply,
  writeMessagesStarted,
} from "./anthropic.js";
import type {
  DropStep,
  FailedStep,
  HttpErrorStep,
  ModelRequest,
  ModelServer,
  ModelServerOptions,
  ModelStep,
  ReplyStep,
  ResponsesRequestBody,
  ServedUsage,
} from "./types.js";

const DEFAULT_USAGE: ServedUsage = {
  input_tokens: 1000,
  cached_tokens: 0,
  output_tokens: 50,
  reasoning_tokens: 0,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((c) => (isRecord(c) && typeof c.text === "string" ? c.text : ""))
    .filter((t) => t.length > 0)
    .join("\n");
}

/** Derives prompt / tool outputs from the request body codex sends. */
export function describeRequest(
  body: ResponsesRequestBody | null,
): Pick<ModelRequest, "prompt" | "functionOutputs" | "isFollowUp"> {
  const input = Array.isArray(body?.input) ? body.input : [];
  let promptIndex = -1;
  let prompt = "";
  input.forEach((item, i) => {
    if (item.type !== "message" || item.role !== "user") return;
    const text = textOf(item.content);
    // codex adds its own user-role context blocks (<environment_context>, AGENTS.md instructions).
    if (
      /^\s*<(environment_context|user_instructions|INSTRUCTIONS)\b/.test(text) ||
      text.startsWith("# AGENTS.md")
    )
      return;
    promptIndex = i;
    prompt = text;
  });
  const functionOutputs: ModelRequest["functionOutputs"] = [];
  for (const item of input.slice(promptIndex + 1)) {
    if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
      const out = item.output;
      functionOutputs.push({
        call_id: String(item.call_id ?? ""),
        output: typeof out === "string" ? out : JSON.stringify(out),
      });
    }
  }
  const last = input.at(-1);
  const isFollowUp = last !== undefined && /_output$/.test(String(last.type ?? ""));
  return { prompt, functionOutputs, isFollowUp };
}

function sse(res: ServerResponse, event: Record<string, unknown>): void {
  res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
}

function fullUsage(u: Partial<ServedUsage> | undefined, dflt: ServedUsage): ServedUsage {
  return { ...dflt, ...u };
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const requests: ModelRequest[] = [];
  const steps: ModelStep[] = [];
  const sockets = new Set<Socket>();
  const waiting = new Set<ServerResponse>();
  const served: ServedUsage = { input_tokens: 0, cached_tokens: 0, output_tokens: 0, reasoning_tokens: 0 };
  let cacheCreation = 0;
  let servedMessages = false;
  const defaultUsage = fullUsage(options.defaultUsage, DEFAULT_USAGE);
  let scriptIndex = 0;
  let responseSeq = 0;
  let closed = false;

  async function nextStep(req: ModelRequest): Promise<ModelStep> {
    const script = options.script;
    if (typeof script === "function") return script(req);
    const step = script[scriptIndex++];
    return step ?? options.whenExhausted ?? { type: "reply", text: "Done." };
  }

  /** Adds what a reply reports to servedUsage(); only /v1/messages has a cache-creation count. */
  function count(u: ServedUsage, api: ModelRequest["api"]): void {
    served.input_tokens += u.input_tokens;
    served.cached_tokens += u.cached_tokens;
    served.output_tokens += u.output_tokens;
    served.reasoning_tokens += u.reasoning_tokens;
    if (api === "messages") {
      servedMessages = true;
      cacheCreation += u.cache_creation_tokens ?? 0;
    }
  }

  function reply(res: ServerResponse, step: ReplyStep, request: ModelRequest): void {
    const u = fullUsage(step.usage, defaultUsage);
    count(u, request.api);
    if (request.api === "messages") writeMessagesReply(res, step, u, String(++responseSeq), request.body);
    else streamReply(res, step, u);
  }

  function streamReply(res: ServerResponse, step: ReplyStep, u: ServedUsage): void {
    const id = `resp_${++responseSeq}`;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    sse(res, { type: "response.created", response: { id } });
    let outputIndex = 0;
    if (step.text !== undefined) {
      const msgId = `msg_${responseSeq}`;
      const item = {
        type: "message",
        role: "assistant",
        id: msgId,
        content: [{ type: "output_text", text: step.text }],
      };
      sse(res, {
        type: "response.output_item.added",
        output_index: outputIndex,
        item: { ...item, content: [] },
      });
      sse(res, {
        type: "response.output_text.delta",
        item_id: msgId,
        output_index: outputIndex,
        content_index: 0,
        delta: step.text,
      });
      sse(res, { type: "response.output_item.done", output_index: outputIndex, item });
      outputIndex++;
    }
    (step.exec ?? []).forEach((cmd, i) => {
      const item = {
        type: "function_call",
        id: `fc_${responseSeq}_${i}`,
        call_id: `call_${responseSeq}_${i}`,
        name: "exec_command",
        arguments: JSON.stringify({ cmd }),
      };
      sse(res, { type: "response.output_item.added", output_index: outputIndex, item });
      sse(res, { type: "response.output_item.done", output_index: outputIndex, item });
      outputIndex++;
    });
    sse(res, {
      type: "response.completed",
      response: {
        id,
        usage: {
          input_tokens: u.input_tokens,
          input_tokens_details: { cached_tokens: u.cached_tokens },
          output_tokens: u.output_tokens,
          output_tokens_details: { reasoning_tokens: u.reasoning_tokens },
          total_tokens: u.input_tokens + u.output_tokens,
        },
      },
    });
    res.end();
  }

  function answer(res: ServerResponse, step: ModelStep, request: ModelRequest): void {
    if (request.api === "messages" && step.type !== "reply" && step.type !== "hang") {
      answerMessagesFault(res, step);
      return;
    }
    switch (step.type) {
      case "reply":
        if (step.delayMs && step.delayMs > 0) {
          waiting.add(res);
          setTimeout(() => {
            waiting.delete(res);
            if (!closed && !res.destroyed) reply(res, step, request);
          }, step.delayMs);
        } else {
          reply(res, step, request);
        }
        return;
      case "http_error": {
        const body = {
          error: {
            message: step.message ?? "error",
            type: step.errorType ?? "server_error",
            ...step.errorFields,
          },
        };
        res.writeHead(step.status, { "content-type": "application/json", ...step.headers });
        res.end(JSON.stringify(body));
        return;
      }
      case "drop": {
        const id = `resp_${++responseSeq}`;
        res.writeHead(200, { "content-type": "text/event-stream" });
        sse(res, { type: "response.created", response: { id } });
        sse(res, {
          type: "response.output_text.delta",
          item_id: `msg_${responseSeq}`,
          output_index: 0,
          content_index: 0,
          delta: step.partialText ?? "partial",
        });
        // Let the bytes leave before cutting the connection, so codex sees a stream that broke.
        setTimeout(() => res.destroy(), 30);
        return;
      }
      case "hang":
        waiting.add(res);
        res.on("close", () => waiting.delete(res));
        if (step.afterCreated && request.api === "messages") {
          writeMessagesStarted(res, String(++responseSeq));
        } else if (step.afterCreated) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          sse(res, { type: "response.created", response: { id: `resp_${++responseSeq}` } });
        }
        return;
      case "response_failed": {
        const id = `resp_${++responseSeq}`;
        res.writeHead(200, { "content-type": "text/event-stream" });
        sse(res, { type: "response.created", response: { id } });
        sse(res, {
          type: "response.failed",
          response: { id, error: { code: step.code, message: step.message } },
        });
        res.end();
        return;
      }
    }
  }

  function answerMessagesFault(res: ServerResponse, step: HttpErrorStep | DropStep | FailedStep): void {
    const id = String(++responseSeq);
    if (step.type === "http_error") writeMessagesHttpError(res, step);
    else if (step.type === "drop") writeMessagesDrop(res, step, id);
    else writeMessagesFailed(res, step, id);
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    arrivedAt: number,
  ): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    let body: ResponsesRequestBody | null = null;
    try {
      const parsed: unknown = JSON.parse(raw.toString("utf8"));
      if (isRecord(parsed)) body = parsed as ResponsesRequestBody;
    } catch {
      body = null;
    }
    const api = path.endsWith("/messages") ? "messages" : "responses";
    const thread =
      api === "messages"
        ? req.headers["x-claude-code-session-id"]
        : (req.headers["thread-id"] ?? req.headers["session-id"]);
    const request: ModelRequest = {
      index: requests.length,
      api,
      at: arrivedAt,
      method: req.method ?? "GET",
      path,
      headers: { ...req.headers },
      body,
      bodyBytes: raw.length,
      threadId: typeof thread === "string" ? thread : null,
      ...(api === "messages" ? describeMessagesRequest(body) : describeRequest(body)),
    };
    if (req.method !== "POST" || !/\/(responses|messages)$/.test(path)) {
      // Only the two model endpoints are scripted; neither agent needs anything else offline.
      requests.push(request);
      steps.push({ type: "http_error", status: 404, message: `not scripted: ${req.method} ${path}` });
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { message: `not scripted: ${req.method} ${path}`, type: "not_found" } }),
      );
      return;
    }
    requests.push(request);
    let step: ModelStep;
    try {
      step = await nextStep(request);
    } catch (e) {
      step = { type: "http_error", status: 500, message: `script threw: ${(e as Error).message}` };
    }
    steps.push(step);
    answer(res, step, request);
  }

  const server = createServer((req, res) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks), arrivedAt).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("model server: no TCP address");
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    steps,
    servedUsage: () => (servedMessages ? { ...served, cache_creation_tokens: cacheCreation } : { ...served }),
    pending: () => waiting.size,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const res of waiting) res.destroy();
      waiting.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
