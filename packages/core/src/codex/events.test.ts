import { readFileSync } from "node:fs";
import fc from "fast-check";
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

describe("long texts", () => {
  const message = (text: string) =>
    JSON.stringify({ type: "item.completed", item: { id: "m", type: "agent_message", text } });
  const failedCommand = (output: string) =>
    JSON.stringify({
      type: "item.completed",
      item: { id: "c", type: "command_execution", command: "make", aggregated_output: output, exit_code: 2 },
    });
  // Texts made of the characters that matter for splitting, so edge cases come up often.
  const text = fc
    .array(fc.constantFrom("a", "bc", " ", "\n", "\r", "\r\n", "\n\n", "é"), { maxLength: 30 })
    .map((parts) => parts.join(""));

  it("logs each line of a message as the plain split did, lazily or not", () => {
    fc.assert(
      fc.property(text, (t) => {
        const expected = t.split(/\r?\n/).map((l) => (l.length > 0 ? `agent: ${l}` : "agent:"));
        expect(createCodexAccumulator().push(message(t))).toEqual(expected);
        expect([...createCodexAccumulator().lines(message(t))]).toEqual(expected);
      }),
    );
  });

  it("shows the last lines of a failed command's output as the plain split did", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 6 }), (out, n) => {
        // (An empty output shows nothing.)
        const tail = out ? out.replace(/\n$/, "").split(/\r?\n/).slice(-n) : [];
        const acc = createCodexAccumulator({ failedOutputLines: n });
        expect(acc.push(failedCommand(out))).toEqual(["$ make (exit 2)", ...tail.map((l) => `  ${l}`)]);
      }),
    );
  });

  it("makes the lines of a huge message as they are iterated; the summary is set at once", () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i}`);
    const acc = createCodexAccumulator();
    const out = acc.lines(message(lines.join("\n")));
    expect(Array.isArray(out)).toBe(false);
    expect(acc.summary().final_message?.length).toBe(lines.join("\n").length);
    let n = 0;
    for (const l of out) expect(l).toBe(`agent: ${lines[n++]}`);
    expect(n).toBe(lines.length);
  });

  it("keeps only the end of the final message when asked to (what the next prompt uses)", () => {
    const t = "first line\nsecond line\nthe end";
    const feedWith = (max?: number) => {
      const acc = createCodexAccumulator(max === undefined ? {} : { finalMessageMaxChars: max });
      const out = acc.push(message(t));
      return { out, final: acc.summary().final_message };
    };
    expect(feedWith()).toEqual({
      out: ["agent: first line", "agent: second line", "agent: the end"],
      final: t,
    });
    expect(feedWith(7)).toEqual({ ...feedWith(), final: "the end" });
    expect(feedWith(t.length).final).toBe(t);
    expect(feedWith(0).final).toBe("");
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

describe("lastCommand", () => {
  it("is the command the agent started last (for status while a run is quiet)", () => {
    const acc = createCodexAccumulator();
    expect(acc.lastCommand()).toBeNull();
    const ev = (type: string, command: string) =>
      JSON.stringify({ type, item: { id: "c", type: "command_execution", command, status: "in_progress" } });
    acc.push(ev("item.started", "bash -lc 'npm test'"));
    expect(acc.lastCommand()).toBe("npm test");
    acc.push(ev("item.completed", "bash -lc 'npm test'"));
    acc.push(ev("item.started", "make build"));
    expect(acc.lastCommand()).toBe("make build");
  });
});
