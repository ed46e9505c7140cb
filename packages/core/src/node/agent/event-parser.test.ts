import { describe, expect, it } from "vitest";
import type { AgentRunSummary } from "./backend.js";
import { createEventParser } from "./event-parser.js";

const summary: AgentRunSummary = {
  failure: null,
  thread_id: null,
  final_message: null,
  usage: null,
  commands: [],
  files_changed: [],
};

function parser() {
  const seen: { stdout: string[]; stderr: readonly string[] } = { stdout: [], stderr: [] };
  const p = createEventParser(
    {
      lines: (raw) => {
        seen.stdout.push(raw);
        return [`parsed ${raw.length}`];
      },
      lastCommand: () => "make",
    },
    (_exit, stderr) => {
      seen.stderr = [...stderr];
      return summary;
    },
  );
  return { p, seen };
}

describe("createEventParser", () => {
  it("sends stdout to the accumulator and logs stderr as is, however long", () => {
    const { p, seen } = parser();
    expect(p.push("stdout", '{"a":1}')).toEqual(["parsed 7"]);
    const huge = `start ${"e".repeat(100_000)} end`;
    expect(p.push("stderr", huge)).toEqual([huge]);
    expect(seen.stdout).toEqual(['{"a":1}']);
    expect(p.lastCommand?.()).toBe("make");
  });

  it("keeps the last 20 non-blank stderr lines for finish, each cut to its last 2000 characters", () => {
    const { p, seen } = parser();
    for (let i = 0; i < 30; i++) p.push("stderr", `line ${i}`);
    p.push("stderr", "   ");
    p.push("stderr", "");
    const long = `head ${"m".repeat(5000)} tail`;
    p.push("stderr", long);
    expect(p.finish({ code: 1, signal: null })).toBe(summary);
    expect(seen.stderr).toHaveLength(20);
    expect(seen.stderr[0]).toBe("line 11");
    expect(seen.stderr[18]).toBe("line 29");
    expect(seen.stderr[19]).toBe(long.slice(-2000));
  });
});
