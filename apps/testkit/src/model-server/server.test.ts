import { afterEach, describe, expect, it } from "vitest";
import { codexArgsFor, codexEnvFor } from "./codex.js";
import { describeRequest, startModelServer } from "./server.js";
import {
  dropStream,
  faultsThen,
  hang,
  httpError,
  rateLimited,
  rateLimitedFor,
  responseFailed,
  runCommand,
  say,
  usageLimited,
} from "./steps.js";
import type { ModelServer } from "./types.js";

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const userMsg = (text: string) => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});

function post(srv: ModelServer, input: unknown[], signal?: AbortSignal): Promise<Response> {
  return fetch(`${srv.url}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", "thread-id": "t-1" },
    body: JSON.stringify({ model: "m", stream: true, input }),
    ...(signal ? { signal } : {}),
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

describe("startModelServer", () => {
  it("streams a reply with text, exec_command calls and usage, and records the request", async () => {
    server = await startModelServer({
      script: [
        {
          type: "reply",
          text: "hello",
          exec: ["ls"],
          usage: { input_tokens: 11, output_tokens: 4, cached_tokens: 2, reasoning_tokens: 1 },
        },
      ],
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await post(server, [
      userMsg("<environment_context>cwd</environment_context>"),
      userMsg("do it"),
    ]);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = parseSse(await res.text());
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.output_text.delta",
      "response.output_item.done",
      "response.output_item.added",
      "response.output_item.done",
      "response.completed",
    ]);
    const call = events[5]?.item as Record<string, unknown>;
    expect(call).toMatchObject({ type: "function_call", name: "exec_command" });
    expect(JSON.parse(String(call.arguments))).toEqual({ cmd: "ls" });
    expect((events[6]?.response as { usage: unknown }).usage).toEqual({
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 2 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 15,
    });
    expect(server.requests[0]).toMatchObject({ prompt: "do it", threadId: "t-1", isFollowUp: false });
    expect(server.servedUsage()).toEqual({
      input_tokens: 11,
      cached_tokens: 2,
      output_tokens: 4,
      reasoning_tokens: 1,
    });
  });

  it("uses the exhausted step and a function script; a throwing script becomes a 500", async () => {
    server = await startModelServer({ script: [], whenExhausted: say("fallback") });
    expect(await (await post(server, [userMsg("x")])).text()).toContain("fallback");
    await server.close();
    server = await startModelServer({
      script: (req) => {
        if (req.prompt === "boom") throw new Error("bad script");
        return say(`echo ${req.prompt}`);
      },
    });
    expect(await (await post(server, [userMsg("abc")])).text()).toContain("echo abc");
    const bad = await post(server, [userMsg("boom")]);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain("bad script");
  });

  it("injects HTTP errors, response.failed, dropped streams and hangs", async () => {
    server = await startModelServer({
      script: [
        httpError(503, "busy"),
        responseFailed("server_is_overloaded", "overloaded"),
        dropStream("par"),
        hang(),
      ],
    });
    const e = await post(server, [userMsg("1")]);
    expect(e.status).toBe(503);
    expect(await e.json()).toEqual({ error: { message: "busy", type: "server_error" } });

    const failed = parseSse(await (await post(server, [userMsg("2")])).text());
    expect(failed.at(-1)).toMatchObject({
      type: "response.failed",
      response: { error: { code: "server_is_overloaded" } },
    });

    const dropped = await post(server, [userMsg("3")]);
    await expect(dropped.text()).rejects.toThrow();

    const ac = new AbortController();
    const hung = post(server, [userMsg("4")], ac.signal);
    const srv = server;
    for (let i = 0; i < 200 && srv.pending() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.pending()).toBe(1);
    await srv.close();
    await expect(hung).rejects.toThrow();
    expect(srv.pending()).toBe(0);
    expect(srv.steps.map((s) => s.type)).toEqual(["http_error", "response_failed", "drop", "hang"]);
  });

  it("answers N limits, then hands over to the script, recording each arrival time", async () => {
    const resetsAt = new Date(Date.UTC(2026, 11, 5, 0, 0, 8));
    const limits = [rateLimited({ "retry-after": "8" }), usageLimited(resetsAt), usageLimited()];
    server = await startModelServer({
      script: faultsThen(
        3,
        (_req, n) => limits[n]!,
        () => say("ok"),
      ),
    });
    const before = Date.now();
    const first = await post(server, [userMsg("a")]);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("8");
    expect(await first.json()).toEqual({
      error: { message: "Rate limit reached. Please try again in 8s.", type: "rate_limit_exceeded" },
    });
    const second = await post(server, [userMsg("a")]);
    expect(((await second.json()) as { error: Record<string, unknown> }).error).toEqual({
      message: "The usage limit has been reached",
      type: "usage_limit_reached",
      resets_at: resetsAt.getTime() / 1000,
    });
    const third = await post(server, [userMsg("a")]);
    expect(((await third.json()) as { error: Record<string, unknown> }).error).not.toHaveProperty(
      "resets_at",
    );
    const fourth = await post(server, [userMsg("a")]);
    expect(fourth.status).toBe(200);
    await fourth.text();
    expect(server.steps.map((s) => s.type)).toEqual(["http_error", "http_error", "http_error", "reply"]);
    const times = server.requests.map((r) => r.at);
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(rateLimitedFor(8)).toEqual({
      type: "response_failed",
      code: "rate_limit_exceeded",
      message: "Rate limit reached for gpt. Please try again in 8s.",
    });
  });

  it("answers 404 to anything but POST …/responses", async () => {
    server = await startModelServer({ script: [] });
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(404);
    expect(server.requests[0]?.path).toBe("/v1/models");
  });
});

describe("describeRequest", () => {
  it("finds the prompt and the tool outputs after it", () => {
    const d = describeRequest({
      input: [
        userMsg("the prompt"),
        { type: "function_call", call_id: "c1", name: "exec_command", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "Process exited with code 0" },
      ],
    });
    expect(d).toEqual({
      prompt: "the prompt",
      functionOutputs: [{ call_id: "c1", output: "Process exited with code 0" }],
      isFollowUp: true,
    });
    expect(describeRequest(null)).toEqual({ prompt: "", functionOutputs: [], isFollowUp: false });
  });
});

describe("codexArgsFor / codexEnvFor", () => {
  it("builds offline flags for the server and a sandbox choice", () => {
    const args = codexArgsFor({ url: "http://127.0.0.1:9/v1" }, { sandbox: "read-only" });
    expect(args.slice(0, 4)).toEqual(["exec", "--json", "--sandbox", "read-only"]);
    expect(args.at(-1)).toBe("-");
    expect(args).toContain("unbounded_connection_retries");
    expect(args.join(" ")).toContain('base_url="http://127.0.0.1:9/v1", wire_api="responses"');
    expect(codexArgsFor({ url: "u" })).toContain("--dangerously-bypass-approvals-and-sandbox");
    expect(runCommand("x").exec).toEqual(["x"]);
  });

  it("points CODEX_HOME and HOME at the temp home and drops real credentials", () => {
    const env = codexEnvFor("/tmp/h", { OPENAI_API_KEY: "sk-real", PATH: "/bin", HOME: "/root" });
    expect(env).toEqual({ CODEX_HOME: "/tmp/h", HOME: "/tmp/h", PATH: "/bin", NO_COLOR: "1" });
    // Present as undefined, so laid over process.env (runCar, spawnCar) it still removes the key.
    expect(Object.hasOwn(env, "OPENAI_API_KEY") && env.OPENAI_API_KEY === undefined).toBe(true);
  });
});
