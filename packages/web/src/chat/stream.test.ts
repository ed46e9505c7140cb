import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import { readChatResponse } from "./stream.js";

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
    const res = sseResponse([
      'event: line\ndata: {"stream":"stdout","line":"thinking"}\n\n',
      'event: line\ndata: {"stream":"stdout","li',
      'ne":"still"}\n\nevent: done\ndata: {"chat_id":"c1","response":"Do X next."}\n\n',
    ]);
    const result = await readChatResponse(res, { onLine: (l) => lines.push(l) });
    expect(lines).toEqual(["thinking", "still"]);
    expect(result).toEqual({ chat_id: "c1", response: "Do X next." });
  });

  it("keeps a multi-byte character split across chunks intact", async () => {
    const bytes = new TextEncoder().encode('event: done\ndata: {"chat_id":"c","response":"héllo ✓"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const res = sseResponse([bytes.slice(0, cut), bytes.slice(cut)]);
    expect((await readChatResponse(res, { onLine: () => {} })).response).toBe("héllo ✓");
  });

  it("raises the server's error event as an ApiError", async () => {
    const res = sseResponse([
      'event: error\ndata: {"detail":"codex not found","code":"AGENT_NOT_FOUND"}\n\n',
    ]);
    const err = (await readChatResponse(res, { onLine: () => {} }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.detail]).toEqual(["AGENT_NOT_FOUND", "codex not found"]);
  });

  it("reports a stream cut before the answer", async () => {
    const res = sseResponse(['event: line\ndata: {"line":"partial"}\n\n']);
    await expect(readChatResponse(res, { onLine: () => {} })).rejects.toThrow(/ended before the answer/);
  });

  it("accepts a plain JSON answer", async () => {
    const res = new Response('{"chat_id":"c2","response":"ok"}', {
      headers: { "Content-Type": "application/json" },
    });
    expect(await readChatResponse(res, { onLine: () => {} })).toEqual({ chat_id: "c2", response: "ok" });
  });
});
