import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { claudeTokenUsage, createClaudeAccumulator, withoutResultText } from "./events.js";

function fixture(name: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
  return text.split("\n").filter((l) => l.length > 0);
}

function feed(lines: string[], options: Parameters<typeof createClaudeAccumulator>[0] = {}) {
  const acc = createClaudeAccumulator(options);
  const out = lines.flatMap((l) => acc.push(l));
  return { out, summary: acc.summary(), lastCommand: acc.lastCommand() };
}

describe("createClaudeAccumulator on recorded claude-code 2.1.332 output", () => {
  it("turns a Bash call, its result, a message and the result into lines and a summary", () => {
    const { out, summary, lastCommand } = feed(fixture("bash-then-text.jsonl"), { cwd: "/tmp/probe/repo" });
    expect(out).toEqual([
      "[claude] session 788571e9-4bd9-489f-aae8-cfaaa41387e4 (model claude-opus-5-5)",
      "$ echo hi > x.txt && echo done",
      "All done.",
      "[claude] done: 2 turns, tokens: input 220 (cached 14), output 25 (reasoning 0), total 245, $0.0013",
    ]);
    expect(lastCommand).toBe("echo hi > x.txt && echo done");
    expect(summary).toEqual({
      thread_id: "788571e9-4bd9-489f-aae8-cfaaa41387e4",
      final_message: "All done.",
      // input 200 + cache creation 6 + cache read 14; cached = cache read.
      usage: {
        input_tokens: 220,
        cached_input_tokens: 14,
        output_tokens: 25,
        reasoning_output_tokens: 0,
        total_tokens: 245,
      },
      cost_usd: 0.0013328000000000003,
      num_turns: 2,
      commands: [{ command: "echo hi > x.txt && echo done", exit_code: 0 }],
      files_changed: ["x.txt"],
      resultSeen: true,
      is_error: false,
      api_error_status: null,
      api_error: null,
      error: null,
    });
  });

  it("shows failed tool calls with their output and counts only successful file writes", () => {
    const { out, summary } = feed(fixture("tools-mixed.jsonl"), { cwd: "/tmp/cprobe/repo" });
    expect(out).toEqual([
      "[claude] session 2f188587-3b39-4df7-b67f-249efac52fd1 (model claude-opus-5-5)",
      "$ ls /nonexistent-xyz; exit 3",
      "  (exit 3)",
      "  ls: cannot access '/nonexistent-xyz': No such file or directory",
      '[tool] Write {"file_path":"/tmp/cprobe/repo/notes.md","content":"hello\\n"}',
      '[tool] Read {"file_path":"/tmp/cprobe/repo/missing.txt"}',
      "  (Read failed)",
      "  File does not exist. Note: your current working directory is /tmp/cprobe/repo.",
      '[tool] Edit {"replace_all":false,"file_path":"/tmp/cprobe/repo/notes.md","old_string":"hello","new_string":"bye"}',
      "Finished.",
      "Second line.",
      "[claude] done: 5 turns, tokens: input 310 (cached 50), output 45 (reasoning 0), total 355, $0.0020",
    ]);
    expect(summary.commands).toEqual([{ command: "ls /nonexistent-xyz; exit 3", exit_code: 3 }]);
    expect(summary.files_changed).toEqual(["notes.md"]);
    expect(summary.final_message).toBe("Finished.\nSecond line.");
    expect(summary.cost_usd).toBe(0.00196);
  });

  it("drops changed files outside cwd and keeps absolute paths when no cwd is given", () => {
    expect(feed(fixture("tools-mixed.jsonl"), { cwd: "/elsewhere" }).summary.files_changed).toEqual([]);
    expect(feed(fixture("bash-then-text.jsonl")).summary.files_changed).toEqual(["/tmp/probe/repo/x.txt"]);
  });

  it("keeps only the end of a long final message", () => {
    const { summary } = feed(fixture("tools-mixed.jsonl"), { finalMessageMaxChars: 12 });
    expect(summary.final_message).toBe("Second line.");
  });

  it("reports an API error: its text as claude printed it, then the error and the stats", () => {
    const { out, summary } = feed(fixture("http-429-resets-at.jsonl"));
    const text = "API Error: Request rejected (429) · usage limit reached; resets at 2026-12-05T09:00:00Z";
    expect(out).toEqual([
      "[claude] session e3ff93e4-4a33-491b-b20d-021f5c7196ec (model claude-opus-5-5)",
      text,
      `[claude] error (429): ${text}`,
      "[claude] failed: 1 turn, tokens: input 0 (cached 0), output 0 (reasoning 0), total 0, $0.0000",
    ]);
    expect(summary).toMatchObject({
      final_message: null,
      resultSeen: true,
      is_error: true,
      api_error_status: 429,
      error: text,
      cost_usd: 0,
    });
  });

  it("reports a dropped connection with its api_error tag and no status", () => {
    const { summary } = feed(fixture("dropped-stream.jsonl"));
    expect(summary).toMatchObject({
      is_error: true,
      api_error_status: null,
      api_error: "connection_failed",
      error: "API Error: Connection to the API was lost (ECONNRESET). This is usually temporary — try again.",
    });
    // What the server served before the drop still counts.
    expect(summary.usage).toEqual({
      input_tokens: 5,
      cached_input_tokens: 0,
      output_tokens: 1,
      reasoning_output_tokens: 0,
      total_tokens: 6,
    });
  });

  it("without a result event: no usage, the last API error remembered", () => {
    const lines = fixture("http-529.jsonl").filter((l) => !l.includes('"type":"result"'));
    const { summary } = feed(lines);
    expect(summary.resultSeen).toBe(false);
    expect(summary.usage).toBeNull();
    expect(summary.cost_usd).toBeNull();
    expect(summary.api_error_status).toBe(529);
    expect(summary.error).toMatch(/^API Error: 529 Overloaded\./);
  });

  it("passes plain text through, ignores unknown events and never throws on odd JSON", () => {
    const { out, summary } = feed([
      "claude: warming up",
      "",
      '{"type":"stream_event","event":{"type":"message_start"}}',
      '{"type":"system","subtype":"compact_boundary"}',
      '{"type":"assistant","message":{"content":"not blocks"}}',
      '{"type":"assistant","message":null}',
      '{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"nope","is_error":true}]}}',
      '{"type":"result","usage":"??","is_error":true}',
      "[1,2]",
      '{"no_type":1}',
      "{broken",
    ]);
    expect(out).toEqual([
      "claude: warming up",
      "",
      "  (tool failed)",
      "[claude] error: error",
      "[claude] failed",
      "[1,2]",
      '{"no_type":1}',
      "{broken",
    ]);
    expect(summary.usage).toBeNull();
    expect(summary.commands).toEqual([]);
  });

  it("keeps a cost only when it is a real amount (state.json sums it)", () => {
    const cost = (raw: string) =>
      feed([`{"type":"result","subtype":"success","is_error":false,"result":"ok","total_cost_usd":${raw}}`])
        .summary.cost_usd;
    expect(cost("0.25")).toBe(0.25);
    expect(cost("-1")).toBeNull();
    expect(cost("1e400")).toBeNull();
    expect(cost('"0.25"')).toBeNull();
    expect(cost("1e300")).toBeNull();
  });

  it("reads a huge result without its copy of the last message, and still knows the final message", () => {
    // The message as the JSON line carries it: escaped newlines, quotes and backslashes.
    const message = `${"x\n".repeat(400_000)}done "quoted" \\ end`;
    const text = JSON.stringify(message).slice(1, -1);
    const session = "s-1";
    const acc = createClaudeAccumulator({ finalMessageMaxChars: 20 });
    acc.push(
      `{"type":"assistant","message":{"content":[{"type":"text","text":"${text}"}]},"session_id":"${session}"}`,
    );
    const result = `{"type":"result","is_error":false,"num_turns":1,"result":"${text}","total_cost_usd":0.5,"session_id":"${session}"}`;
    expect(result.length).toBeGreaterThan(1_000_000);
    expect(withoutResultText(result)).toBe(
      `{"type":"result","is_error":false,"num_turns":1,"result":"","total_cost_usd":0.5,"session_id":"${session}"}`,
    );
    expect(acc.push(result)).toEqual(["[claude] done: 1 turn, $0.5000"]);
    const parsed = JSON.parse(`"${text}"`) as string;
    expect(acc.summary()).toMatchObject({
      final_message: parsed.slice(-20),
      cost_usd: 0.5,
      thread_id: session,
    });
    // Not a result event, or no result string: untouched.
    expect(withoutResultText('{"type":"assistant","result":"x"}')).toBeNull();
    expect(withoutResultText('{"type":"result","result":null}')).toBeNull();
  });

  it("clips a long tool input and notes thinking", () => {
    const big = "x".repeat(500);
    const { out } = feed([
      JSON.stringify({
        type: "assistant",
        message: {
          content: [
            { type: "thinking", thinking: "Plan\nthen act" },
            { type: "tool_use", id: "t1", name: "Grep", input: { pattern: big } },
          ],
        },
      }),
    ]);
    expect(out[0]).toBe("thinking: Plan");
    expect(out[1]).toBe("thinking: then act");
    expect(out[2]).toHaveLength("[tool] Grep ".length + 200);
    // The first characters of the whole input's JSON, though long strings are cut before serialising.
    expect(out[2]).toBe(`[tool] Grep ${JSON.stringify({ pattern: big }).slice(0, 199)}…`);
  });
});

describe("claudeTokenUsage", () => {
  it("takes only whole, non-negative, bounded counts (a hostile endpoint cannot break the records)", () => {
    expect(
      claudeTokenUsage({ input_tokens: -5, output_tokens: 2.7, cache_read_input_tokens: 1e300 }),
    ).toEqual({
      input_tokens: 2 ** 40,
      cached_input_tokens: 2 ** 40,
      output_tokens: 2,
      reasoning_output_tokens: 0,
      total_tokens: 2 ** 40 + 2,
    });
  });

  it("counts cache reads and writes as input and thinking as reasoning", () => {
    expect(
      claudeTokenUsage({
        input_tokens: 10,
        cache_creation_input_tokens: 20,
        cache_read_input_tokens: 30,
        output_tokens: 7,
        output_tokens_details: { thinking_tokens: 4 },
      }),
    ).toEqual({
      input_tokens: 60,
      cached_input_tokens: 30,
      output_tokens: 7,
      reasoning_output_tokens: 4,
      total_tokens: 67,
    });
  });
});
