import { afterEach, describe, expect, it } from "vitest";
import { describeMessagesRequest } from "./anthropic.js";
import { claudeArgs, claudeBaseUrl, claudeEnvFor, FAKE_ANTHROPIC_API_KEY } from "./claude.js";
import { startModelServer } from "./server.js";
import {
  anthropicOverloaded,
  anthropicRateLimited,
  anthropicUnauthorized,
  dropStream,
  hang,
  responseFailed,
  say,
  tickingModel,
} from "./steps.js";
import type { ModelServer } from "./types.js";

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const reminder = { type: "text", text: "<system-reminder>\ngit status …\n</system-reminder>" };
const prompt = (text: string) => ({ role: "user", content: [reminder, { type: "text", text }] });
const toolUse = (id: string) => ({
  role: "assistant",
  content: [{ type: "tool_use", id, name: "Bash", input: { command: "ls" } }],
});
const toolResult = (id: string, content: unknown, isError = false) => ({
  role: "user",
  content: [{ type: "tool_result", tool_use_id: id, content, is_error: isError }],
});

/** POST /v1/messages as claude does (`?beta=true`, session header). */
function post(srv: ModelServer, messages: unknown[], opts: { stream?: boolean; signal?: AbortSignal } = {}) {
  return fetch(`${claudeBaseUrl(srv)}/v1/messages?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": "sess-1" },
    body: JSON.stringify({ model: "claude-x", stream: opts.stream ?? true, messages }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** SSE body → the parsed `data:` objects, checking each frame's `event:` matches its `type`. */
function parseSse(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n\n")
    .filter((f) => f.trim().length > 0)
    .map((frame) => {
      const event = /^event: (.+)$/m.exec(frame)?.[1];
      const data = JSON.parse(/^data: (.+)$/m.exec(frame)?.[1] ?? "null") as Record<string, unknown>;
      expect(data.type).toBe(event);
      return data;
    });
}

describe("startModelServer on /v1/messages (Anthropic)", () => {
  it("streams text and Bash tool_use blocks with usage, and records the request", async () => {
    server = await startModelServer({
      script: [
        {
          type: "reply",
          text: "on it",
          exec: ["echo hi > x.txt"],
          usage: {
            input_tokens: 11,
            cached_tokens: 7,
            cache_creation_tokens: 3,
            output_tokens: 20,
            reasoning_tokens: 2,
          },
        },
      ],
    });
    const res = await post(server, [prompt("do it\n")]);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = parseSse(await res.text());
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[0]?.message).toMatchObject({
      role: "assistant",
      model: "claude-x",
      usage: { input_tokens: 11, cache_read_input_tokens: 7, cache_creation_input_tokens: 3 },
    });
    expect(events[2]?.delta).toEqual({ type: "text_delta", text: "on it" });
    expect(events[4]).toMatchObject({ index: 1, content_block: { type: "tool_use", name: "Bash" } });
    const input = JSON.parse(String((events[5]?.delta as { partial_json: string }).partial_json));
    expect(input).toEqual({ command: "echo hi > x.txt", description: expect.any(String) });
    expect(events[7]).toMatchObject({
      delta: { stop_reason: "tool_use" },
      usage: { output_tokens: 20, output_tokens_details: { thinking_tokens: 2 } },
    });
    expect(server.requests[0]).toMatchObject({
      api: "messages",
      path: "/v1/messages",
      prompt: "do it\n",
      threadId: "sess-1",
      isFollowUp: false,
      functionOutputs: [],
    });
    expect(server.servedUsage()).toEqual({
      input_tokens: 11,
      cached_tokens: 7,
      cache_creation_tokens: 3,
      output_tokens: 20,
      reasoning_tokens: 2,
    });
  });

  it("reads tool results back; the ticking model ticks on success and reports a failed call", async () => {
    const ok = describeMessagesRequest({
      messages: [
        prompt("- [ ] first task"),
        toolUse("t1"),
        toolResult("t1", [{ type: "text", text: "line 1" }]),
        toolUse("t2"),
        toolResult("t2", "done"),
      ],
    });
    expect(ok).toEqual({
      prompt: "- [ ] first task",
      functionOutputs: [
        { call_id: "t1", output: "line 1", isError: false },
        { call_id: "t2", output: "done", isError: false },
      ],
      isFollowUp: true,
    });
    const model = tickingModel();
    const base = { index: 1, api: "messages" as const, at: 0, method: "POST", path: "/v1/messages" };
    const req = { ...base, headers: {}, body: null, bodyBytes: 0, threadId: null };
    expect(model({ ...req, ...ok })).toMatchObject({ text: "Ticked: first task" });
    const failed = describeMessagesRequest({
      messages: [prompt("- [ ] first task"), toolUse("t1"), toolResult("t1", "Exit code 3", true)],
    });
    expect(model({ ...req, ...failed })).toMatchObject({ text: "Could not tick: first task" });
    expect(describeMessagesRequest(null)).toEqual({ prompt: "", functionOutputs: [], isFollowUp: false });
  });

  it("answers stream: false with one JSON message", async () => {
    server = await startModelServer({ script: [say("plain", { input_tokens: 5, output_tokens: 2 })] });
    const res = await post(server, [prompt("title please")], { stream: false });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "plain" }],
      stop_reason: "end_turn",
      usage: {
        input_tokens: 5,
        output_tokens: 2,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
  });

  it("answers rate limits, overload and auth failures with Anthropic error bodies", async () => {
    const resetsAt = new Date(Date.UTC(2026, 11, 5, 9, 0, 0));
    server = await startModelServer({
      script: [
        { ...anthropicRateLimited(resetsAt), headers: { "retry-after": "5" } },
        anthropicRateLimited(),
        anthropicOverloaded(),
        anthropicUnauthorized(),
      ],
    });
    const limited = await post(server, [prompt("a")]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("5");
    expect(await limited.json()).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "usage limit reached; resets at 2026-12-05T09:00:00Z" },
    });
    const plain = (await (await post(server, [prompt("a")])).json()) as { error: { message: string } };
    expect(plain.error.message).not.toMatch(/resets/);
    const overloaded = await post(server, [prompt("a")]);
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    const unauthorized = await post(server, [prompt("a")]);
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: { type: string } }).error.type).toBe(
      "authentication_error",
    );
    // Nothing completed, so nothing was served.
    expect(server.servedUsage()).toEqual({
      input_tokens: 0,
      cached_tokens: 0,
      output_tokens: 0,
      reasoning_tokens: 0,
    });
  });

  it("drops a started stream, fails one with an error event, and holds a hang open", async () => {
    server = await startModelServer({
      script: [dropStream("par"), responseFailed("overloaded_error", "Overloaded"), hang(true)],
    });
    const dropped = await post(server, [prompt("1")]);
    expect(dropped.status).toBe(200);
    await expect(dropped.text()).rejects.toThrow();

    const failed = parseSse(await (await post(server, [prompt("2")])).text());
    expect(failed.map((e) => e.type)).toEqual(["message_start", "error"]);
    expect(failed[1]).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });

    const ac = new AbortController();
    const hung = await post(server, [prompt("3")], { signal: ac.signal });
    const reader = hung.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: message_start\n/);
    expect(server.pending()).toBe(1);
    const srv = server;
    await srv.close();
    await expect(reader.read()).rejects.toThrow();
    expect(srv.pending()).toBe(0);
    expect(srv.steps.map((s) => s.type)).toEqual(["drop", "response_failed", "hang"]);
  });

  it("one script serves both protocols and sums what each served", async () => {
    server = await startModelServer({
      script: (req) => say(req.api, { input_tokens: req.api === "messages" ? 10 : 100, output_tokens: 1 }),
    });
    await (await post(server, [prompt("claude")])).text();
    await (
      await fetch(`${server.url}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stream: true, input: [] }),
      })
    ).text();
    expect(server.requests.map((r) => r.api)).toEqual(["messages", "responses"]);
    expect(server.servedUsage()).toMatchObject({
      input_tokens: 110,
      output_tokens: 2,
      cache_creation_tokens: 0,
    });
  });
});

describe("claudeArgs / claudeEnvFor", () => {
  it("builds headless stream-json flags, read-only for chat", () => {
    expect(claudeArgs()).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "bypassPermissions",
    ]);
    expect(claudeArgs("chat").slice(-2)).toEqual(["--permission-mode", "plan"]);
  });

  it("points claude at the server without /v1, a fake key and the temp home, dropping real credentials", () => {
    const env = claudeEnvFor({ url: "http://127.0.0.1:9/v1" }, "/tmp/h", {
      PATH: "/bin",
      HOME: "/root",
      ANTHROPIC_API_KEY: "sk-ant-real",
      ANTHROPIC_AUTH_TOKEN: "tok",
      ANTHROPIC_MODEL: "opus",
      CLAUDE_CODE_OAUTH_TOKEN: "oauth",
      CLAUDECODE: "1",
    });
    expect(env).toEqual({
      PATH: "/bin",
      HOME: "/tmp/h",
      ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
      ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
      CLAUDE_CODE_TMPDIR: "/tmp/h",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      IS_SANDBOX: "1",
      DISABLE_AUTOUPDATER: "1",
      NO_COLOR: "1",
    });
    // Present as undefined, so laid over process.env (runCar, spawnCar) they still remove the key.
    for (const k of ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDECODE"]) {
      expect(Object.hasOwn(env, k) && env[k] === undefined, k).toBe(true);
    }
  });
});
