import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addTokenUsage, createCodexAccumulator, parseCodexEvent, unwrapShellCommand } from "./events.js";

function fixture(name: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
  return text.split("\n").filter((l) => l.length > 0);
}

function feed(lines: string[], cwd?: string) {
  const acc = createCodexAccumulator(cwd ? { cwd } : {});
  const out = lines.flatMap((l) => acc.push(l));
  return { out, summary: acc.summary() };
}

describe("parseCodexEvent", () => {
  it("accepts known event types and rejects everything else", () => {
    expect(parseCodexEvent('{"type":"turn.started"}')).toEqual({ type: "turn.started" });
    expect(parseCodexEvent("not json")).toBeNull();
    expect(parseCodexEvent('{"type":"future.event"}')).toBeNull();
    expect(parseCodexEvent('{"type":"item.completed"}')).toBeNull();
    expect(parseCodexEvent("[1,2]")).toBeNull();
    expect(parseCodexEvent('{"type":"turn.started"')).toBeNull();
  });
});

describe("unwrapShellCommand", () => {
  it("strips codex's bash -lc wrapper and undoes its quoting", () => {
    expect(unwrapShellCommand("/bin/bash -lc 'echo hello > out.txt; cat out.txt'")).toBe(
      "echo hello > out.txt; cat out.txt",
    );
    expect(unwrapShellCommand("/bin/bash -lc 'echo '\\''hi'\\'''")).toBe("echo 'hi'");
    expect(unwrapShellCommand('bash -lc "echo \\"x\\""')).toBe('echo "x"');
    expect(unwrapShellCommand("ls -la")).toBe("ls -la");
    // Recorded from codex 0.169: a command holding both quote kinds and a `!`.
    const recorded = String.raw`/bin/bash -lc "'/usr/bin/node' -e 'const f=require(\"fs\"),o=\"- [ ] a\";if("'!t.includes(o))process.exit(3);f.writeFileSync(p,"- [x] a")'"'"`;
    expect(unwrapShellCommand(recorded)).toBe(
      `'/usr/bin/node' -e 'const f=require("fs"),o="- [ ] a";if(!t.includes(o))process.exit(3);f.writeFileSync(p,"- [x] a")'`,
    );
    // Anything needing expansion is left as codex printed it.
    expect(unwrapShellCommand('/bin/bash -lc "echo $HOME"')).toBe('/bin/bash -lc "echo $HOME"');
    expect(unwrapShellCommand("/bin/bash -lc 'unbalanced")).toBe("/bin/bash -lc 'unbalanced");
  });
});

describe("createCodexAccumulator on recorded codex 0.169 output", () => {
  it("turns a shell call and a message into readable lines and a summary", () => {
    const { out, summary } = feed(fixture("shell-then-message.jsonl"));
    expect(out).toEqual([
      "thread: 01a21363-c529-73b0-a9c4-a50851e60b87",
      "$ echo hello > out.txt; cat out.txt (exit 0)",
      "agent: All done.",
      "tokens: input 300 (cached 20), output 14 (reasoning 4), total 314",
    ]);
    expect(summary).toEqual({
      thread_id: "01a21363-c529-73b0-a9c4-a50851e60b87",
      final_message: "All done.",
      usage: {
        input_tokens: 300,
        cached_input_tokens: 20,
        output_tokens: 14,
        reasoning_output_tokens: 4,
        total_tokens: 314,
      },
      commands: [{ command: "echo hello > out.txt; cat out.txt", exit_code: 0 }],
      files_changed: [],
      turnCompleted: true,
      turnFailedMessage: null,
      lastErrorMessage: null,
    });
  });

  it("reports patches relative to cwd, failed commands with their output, multi-line messages", () => {
    const { out, summary } = feed(fixture("patch-and-commands.jsonl"), "/tmp/cx/ws.s3");
    expect(out).toContain("thinking: **Planning** the change");
    expect(out).toContain("file: add hello.txt");
    expect(out).toContain("$ exit 3 (exit 3)");
    expect(out).toContain("agent: Line one");
    expect(out).toContain("agent: Line two");
    expect(summary.files_changed).toEqual(["hello.txt"]);
    expect(summary.commands).toEqual([{ command: "exit 3", exit_code: 3 }]);
    expect(summary.final_message).toBe("Line one\nLine two");
    expect(summary.usage?.total_tokens).toBe(60);
  });

  it("keeps absolute paths without a cwd and shows the output of a failed command", () => {
    const { out, summary } = feed(fixture("read-only-sandbox.jsonl"));
    expect(out).toContain("$ echo pwned > pwned.txt (exit 1)");
    expect(out).toContain("  /bin/bash: line 1: pwned.txt: Read-only file system");
    expect(summary.turnCompleted).toBe(true);
    expect(feed(fixture("patch-and-commands.jsonl")).summary.files_changed).toEqual([
      "/tmp/cx/ws.s3/hello.txt",
    ]);
  });

  it("records the failure of a turn and the reconnect errors before it", () => {
    const { out, summary } = feed(fixture("http-500-reconnects.jsonl"));
    expect(out.filter((l) => l.startsWith("error: Reconnecting..."))).toHaveLength(5);
    expect(out.at(-1)).toBe(
      "turn failed: We’re currently experiencing high demand, which may cause temporary errors.",
    );
    expect(summary.turnCompleted).toBe(false);
    expect(summary.usage).toBeNull();
    expect(summary.turnFailedMessage).toMatch(/high demand/);
    expect(summary.lastErrorMessage).toMatch(/high demand/);
  });

  it("passes non-JSON lines through and sums usage over several turns", () => {
    const acc = createCodexAccumulator();
    expect(acc.push("plain text from codex")).toEqual(["plain text from codex"]);
    expect(acc.push('{"not":"an event"}')).toEqual(['{"not":"an event"}']);
    // An event type from a newer codex is kept out of the readable log (it is in runs/<id>.jsonl).
    expect(acc.push('{"type":"item.delta","delta":"x"}')).toEqual([]);
    acc.push(
      '{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":1,"output_tokens":2}}',
    );
    acc.push(
      '{"type":"turn.completed","usage":{"input_tokens":7,"cached_input_tokens":0,"output_tokens":3,"reasoning_output_tokens":2}}',
    );
    expect(acc.summary().usage).toEqual({
      input_tokens: 12,
      cached_input_tokens: 1,
      output_tokens: 5,
      reasoning_output_tokens: 2,
      total_tokens: 17,
    });
  });

  it("logs a todo_list only when it changed, and mcp/web search items", () => {
    const acc = createCodexAccumulator();
    const list = (done: boolean) =>
      JSON.stringify({
        type: "item.updated",
        item: {
          id: "t",
          type: "todo_list",
          items: [
            { text: "a", completed: done },
            { text: "b", completed: false },
          ],
        },
      });
    expect(acc.push(list(false))).toEqual(["plan: [ ] a | [ ] b"]);
    expect(acc.push(list(false))).toEqual([]);
    expect(acc.push(list(true))).toEqual(["plan: [x] a | [ ] b"]);
    expect(
      acc.push(
        '{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"gh","tool":"search","status":"failed","error":{"message":"nope"}}}',
      ),
    ).toEqual(["tool: gh.search (failed: nope)"]);
    expect(
      acc.push('{"type":"item.completed","item":{"id":"w","type":"web_search","query":"vitest"}}'),
    ).toEqual(["search: vitest"]);
  });
});

describe("addTokenUsage", () => {
  it("treats null as nothing and recomputes the total", () => {
    const u = {
      input_tokens: 1,
      cached_input_tokens: 0,
      output_tokens: 2,
      reasoning_output_tokens: 0,
      total_tokens: 3,
    };
    expect(addTokenUsage(null, null)).toBeNull();
    expect(addTokenUsage(null, u)).toEqual(u);
    expect(addTokenUsage(u, u)?.total_tokens).toBe(6);
  });
});
