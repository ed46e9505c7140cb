import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { claudeJsonBackend } from "./claude-json.js";

const NOW = new Date("2026-12-05T08:30:00Z");

function fixtureLines(name: string): string[] {
  const url = new URL(`../../agents/claude/fixtures/${name}`, import.meta.url);
  return readFileSync(url, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
}

function runParser(
  stdout: string[],
  exit: { code: number | null; signal: string | null },
  stderr: string[] = [],
) {
  const parser = claudeJsonBackend.createParser({ cwd: "/tmp/probe/repo", now: () => NOW });
  const logged = [
    ...stderr.flatMap((l) => parser.push("stderr", l)),
    ...stdout.flatMap((l) => parser.push("stdout", l)),
  ];
  return { logged, lastCommand: parser.lastCommand?.() ?? null, summary: parser.finish(exit) };
}

describe("claudeJsonBackend", () => {
  it("is the claude-json backend and keeps raw events", () => {
    expect(claudeJsonBackend.name).toBe("claude-json");
    expect(claudeJsonBackend.keepsRawEvents).toBe(true);
  });

  it("summarises a successful run with its cost", () => {
    const { logged, lastCommand, summary } = runParser(fixtureLines("bash-then-text.jsonl"), {
      code: 0,
      signal: null,
    });
    expect(logged).toContain("$ echo hi > x.txt && echo done");
    expect(lastCommand).toBe("echo hi > x.txt && echo done");
    expect(summary).toEqual({
      failure: null,
      thread_id: "788571e9-4bd9-489f-aae8-cfaaa41387e4",
      final_message: "All done.",
      usage: {
        input_tokens: 220,
        cached_input_tokens: 14,
        output_tokens: 25,
        reasoning_output_tokens: 0,
        total_tokens: 245,
      },
      commands: [{ command: "echo hi > x.txt && echo done", exit_code: 0 }],
      files_changed: ["x.txt"],
      cost_usd: 0.0013328000000000003,
    });
  });

  it("classifies each recorded API failure by its result", () => {
    const failure = (name: string) =>
      runParser(fixtureLines(name), { code: 1, signal: null }).summary.failure;
    expect(failure("http-429.jsonl")).toEqual({
      kind: "rate_limit",
      message: "API Error: Request rejected (429) · Number of requests has exceeded your rate limit",
    });
    // resets at 09:00Z, half an hour after NOW.
    expect(failure("http-429-resets-at.jsonl")).toEqual({
      kind: "rate_limit",
      retryAfterMs: 1_800_000,
      message: "API Error: Request rejected (429) · usage limit reached; resets at 2026-12-05T09:00:00Z",
    });
    expect(failure("http-529.jsonl")?.kind).toBe("transient");
    expect(failure("dropped-stream.jsonl")).toEqual({
      kind: "transient",
      message:
        "API Error: Connection to the API was lost (ECONNRESET). This is usually temporary — try again.",
    });
    expect(failure("http-401.jsonl")).toEqual({
      kind: "fatal",
      message: "Invalid API key · Fix external API key",
    });
  });

  it("without a result: the API error seen, else stderr, decides; exit 0 alone is not success", () => {
    const init = fixtureLines("http-529.jsonl").filter((l) => !l.includes('"type":"result"'));
    const killed = runParser(init, { code: null, signal: "SIGKILL" }).summary.failure;
    expect(killed?.kind).toBe("transient");
    expect(killed?.message).toMatch(/^claude exited with signal SIGKILL: API Error: 529 Overloaded\./);

    const refused = runParser([], { code: 1, signal: null }, ["Error: connect ECONNREFUSED 127.0.0.1:9"]);
    expect(refused.summary.failure).toEqual({
      kind: "transient",
      message: "claude exited with code 1: Error: connect ECONNREFUSED 127.0.0.1:9",
    });
    // stderr is logged verbatim.
    expect(refused.logged).toEqual(["Error: connect ECONNREFUSED 127.0.0.1:9"]);

    expect(
      runParser([], { code: 2, signal: null }, ["error: unknown option '--bogus'", ""]).summary.failure,
    ).toEqual({ kind: "fatal", message: "claude exited with code 2: error: unknown option '--bogus'" });
    // Recorded from claude 2.1.332 run as root without IS_SANDBOX=1.
    const root = [
      "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
    ];
    expect(runParser([], { code: 1, signal: null }, root).summary.failure).toEqual({
      kind: "fatal",
      message: `claude exited with code 1: ${root[0]} (as root, Claude Code needs IS_SANDBOX=1 in the environment to skip permission prompts; see \`car doctor\`)`,
    });
    expect(runParser([], { code: 1, signal: null }).summary.failure).toEqual({
      kind: "fatal",
      message: "claude exited with code 1",
    });
    expect(
      runParser(fixtureLines("bash-then-text.jsonl").slice(0, 3), { code: 0, signal: null }).summary,
    ).toMatchObject({
      failure: { kind: "fatal", message: "claude exited without a result" },
      usage: null,
      cost_usd: null,
      commands: [{ command: "echo hi > x.txt && echo done", exit_code: 0 }],
    });
  });
});
