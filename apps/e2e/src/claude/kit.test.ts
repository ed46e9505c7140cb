/**
 * The offline kit itself, proven with the real Claude Code CLI (no `car` involved): the scripted model
 * server speaks enough of the Anthropic Messages protocol for `claude -p` to run Bash tool calls,
 * report usage, and surface each injected fault the way car's claude classifier expects.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  anthropicOverloaded,
  anthropicRateLimited,
  type ClaudeHome,
  claudeArgs,
  commandThenSay,
  dropStream,
  hang,
  type ModelServer,
  makeClaudeHome,
  makeTempRepo,
  runClaude,
  say,
  shQuote,
  startModelServer,
  type TempRepo,
  tickingModel,
  waitFor,
} from "@codex-autorunner/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asClaudeResultUsage } from "./setup.js";

let home: ClaudeHome;
let repo: TempRepo;
let server: ModelServer | null = null;

beforeEach(() => {
  home = makeClaudeHome();
  repo = makeTempRepo({ prefix: "car-claude-kit-" });
});

afterEach(async () => {
  await server?.close();
  server = null;
  home.cleanup();
  repo.cleanup();
});

function ofType(events: Array<Record<string, unknown>>, type: string) {
  return events.filter((e) => e.type === type);
}

function resultOf(events: Array<Record<string, unknown>>): Record<string, unknown> {
  const results = ofType(events, "result");
  expect(results).toHaveLength(1);
  return results[0]!;
}

describe("scripted model server + real claude -p --output-format stream-json", () => {
  it("runs the model's Bash call, sends its output back, and sums usage exactly as served", async () => {
    const out = join(repo.root, "out.txt");
    server = await startModelServer({
      script: commandThenSay(`printf 'made by claude' > ${shQuote(out)} && echo wrote-it`, "Wrote out.txt", {
        command: {
          input_tokens: 1234,
          cached_tokens: 200,
          cache_creation_tokens: 30,
          output_tokens: 56,
          reasoning_tokens: 7,
        },
        message: {
          input_tokens: 1500,
          cached_tokens: 1000,
          cache_creation_tokens: 4,
          output_tokens: 20,
          reasoning_tokens: 3,
        },
      }),
    });
    const r = await runClaude({ server, cwd: repo.root, prompt: "Please write out.txt", home });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("made by claude");

    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(first).toMatchObject({ api: "messages", prompt: "Please write out.txt", isFollowUp: false });
    expect(second?.isFollowUp).toBe(true);
    expect(second?.functionOutputs).toEqual([
      { call_id: expect.stringMatching(/^toolu_/), output: "wrote-it", isError: false },
    ]);
    const init = ofType(r.events, "system")[0];
    expect(first?.threadId).toBe(init?.session_id);
    expect(second?.threadId).toBe(first?.threadId);

    const result = resultOf(r.events);
    expect(result).toMatchObject({ is_error: false, num_turns: 2, result: "Wrote out.txt" });
    expect(result.usage).toMatchObject(asClaudeResultUsage(server.servedUsage()));
    expect(result.usage).toMatchObject({
      input_tokens: 2734,
      cache_read_input_tokens: 1200,
      cache_creation_input_tokens: 34,
      output_tokens: 76,
      output_tokens_details: { thinking_tokens: 10 },
    });
  });

  it("the testkit's ticking model ticks the TODO item through claude's Bash", async () => {
    server = await startModelServer({ script: tickingModel() });
    const todo = join(repo.dir, "TODO.md");
    const r = await runClaude({ server, cwd: repo.root, prompt: readFileSync(todo, "utf8"), home });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(todo, "utf8")).toMatch(/^- \[x\] first task$/m);
    expect(readFileSync(todo, "utf8")).toMatch(/^- \[ \] second task$/m);
    expect(resultOf(r.events).result).toBe("Ticked: first task");
  });

  it("a 429 naming its reset fails the run with api_error_status 429 and the reset in the text", async () => {
    server = await startModelServer({
      script: [anthropicRateLimited(new Date(Date.UTC(2026, 11, 5, 9, 0, 0)))],
    });
    const r = await runClaude({ server, cwd: repo.root, prompt: "hi", home });
    expect(r.code).toBe(1);
    const result = resultOf(r.events);
    expect(result).toMatchObject({ is_error: true, api_error_status: 429 });
    expect(result.result).toMatch(/usage limit reached; resets at 2026-12-05T09:00:00Z/);
    // CLAUDE_CODE_MAX_RETRIES=0: the limit reaches the caller at once.
    expect(server.requests).toHaveLength(1);
  });

  it("a 529 fails the run with api_error_status 529", async () => {
    server = await startModelServer({ script: [anthropicOverloaded()] });
    const r = await runClaude({ server, cwd: repo.root, prompt: "hi", home });
    expect(r.code).toBe(1);
    expect(resultOf(r.events)).toMatchObject({ is_error: true, api_error_status: 529 });
    expect(server.requests).toHaveLength(1);
  });

  it("claude retries one dropped stream by itself; a second drop fails the run as a lost connection", async () => {
    server = await startModelServer({ script: [dropStream(), say("second try worked")] });
    const ok = await runClaude({ server, cwd: repo.root, prompt: "hi", home });
    expect(ok.code, ok.stderr).toBe(0);
    expect(resultOf(ok.events)).toMatchObject({ is_error: false, result: "second try worked" });
    expect(server.steps.map((s) => s.type)).toEqual(["drop", "reply"]);
    await server.close();

    server = await startModelServer({ script: [dropStream(), dropStream()] });
    const r = await runClaude({ server, cwd: repo.root, prompt: "hi", home });
    expect(r.code).toBe(1);
    const result = resultOf(r.events);
    expect(result).toMatchObject({ is_error: true, api_error_status: null });
    expect(result.result).toMatch(/Connection to the API was lost/);
  });

  it("a hanging model keeps claude waiting until it is killed", async () => {
    const srv = await startModelServer({ script: [hang(true)] });
    server = srv;
    const run = runClaude({ server: srv, cwd: repo.root, prompt: "hi", home, timeoutMs: 4_000 });
    await waitFor(() => srv.pending() === 1, { timeoutMs: 20_000, what: "claude request pending" });
    const r = await run;
    expect(r.signal).toBe("SIGKILL");
    expect(ofType(r.events, "result")).toHaveLength(0);
    await waitFor(() => srv.pending() === 0, { what: "hung request released" });
  });

  it("chat mode (plan) keeps the model's Bash call from writing", async () => {
    server = await startModelServer({
      script: commandThenSay("echo pwned > pwned.txt", "I could not write"),
    });
    const r = await runClaude({
      server,
      cwd: repo.root,
      prompt: "write a file",
      home,
      args: claudeArgs("chat"),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(repo.root, "pwned.txt"))).toBe(false);
    expect(server.requests[1]?.functionOutputs[0]?.isError).toBe(true);
    expect(resultOf(r.events).result).toBe("I could not write");
  });
});
