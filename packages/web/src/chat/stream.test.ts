import type { ChatEventData } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import { readChatResponse } from "./stream.js";

/** One event as the server writes it, its data typed by core's contract (CHAT_EVENTS). */
function frame<E extends keyof ChatEventData>(event: E, data: ChatEventData[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const answer = (chat_id: string, response: string): ChatEventData["done"] => ({
  chat_id,
  response,
  exit_code: 0,
  log: `.codex-autorunner/chats/${chat_id}.log`,
});

/** A streamed Response whose body arrives in the given chunks (split anywhere, even mid-character). */
function sseResponse(chunks: Array<string | Uint8Array>): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(typeof chunk === "string" ? enc.encode(chunk) : chunk);
      c.close();
    },
  });
  return new Response(body, { headers: { "Content-Type": "text/event-stream; charset=utf-8" } });
}

describe("readChatResponse", () => {
  it("streams lines, then returns the final answer", async () => {
    const lines: string[] = [];
    const still = frame("line", { stream: "stdout", line: "still" });
    const res = sseResponse([
      frame("line", { stream: "stdout", line: "thinking" }),
      still.slice(0, 30),
      still.slice(30) + frame("done", answer("c1", "Do X next.")),
    ]);
    const result = await readChatResponse(res, { onLine: (l) => lines.push(l) });
    expect(lines).toEqual(["thinking", "still"]);
    expect(result).toEqual(answer("c1", "Do X next."));
  });

  it("keeps a multi-byte character split across chunks intact", async () => {
    const bytes = new TextEncoder().encode(frame("done", answer("c", "héllo ✓")));
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const res = sseResponse([bytes.slice(0, cut), bytes.slice(cut)]);
    expect((await readChatResponse(res, { onLine: () => {} })).response).toBe("héllo ✓");
  });

  it("raises the server's error event as an ApiError", async () => {
    const res = sseResponse([frame("error", { detail: "codex not found", code: "AGENT_NOT_FOUND" })]);
    const err = (await readChatResponse(res, { onLine: () => {} }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.detail]).toEqual(["AGENT_NOT_FOUND", "codex not found"]);
  });

  it("reports a stream cut before the answer", async () => {
    const res = sseResponse([frame("line", { stream: "stdout", line: "partial" })]);
    await expect(readChatResponse(res, { onLine: () => {} })).rejects.toThrow(/ended before the answer/);
  });
});
