import { describe, expect, it } from "vitest";
import { DEFAULT_CLAUDE_ARGS, DEFAULT_CLAUDE_CHAT_ARGS } from "../../config/schema.js";
import { claudeAgent } from "./claude.js";

describe("claudeAgent", () => {
  it("reads stream-json as events whichever way the flag is written; anything else as plain text", () => {
    expect(claudeAgent.backend(DEFAULT_CLAUDE_ARGS).name).toBe("claude-json");
    expect(claudeAgent.backend(["-p", "--output-format=stream-json", "--verbose"]).name).toBe("claude-json");
    expect(claudeAgent.backend(["-p", "--output-format", "text"]).name).toBe("plain");
    // The word alone (say, in a prompt file name) is not the flag.
    expect(claudeAgent.backend(["-p", "stream-json"]).name).toBe("plain");
  });

  it("as root, flags every way of skipping permission prompts unless IS_SANDBOX=1", () => {
    const problems = (args: string[], env: NodeJS.ProcessEnv = {}, root = true) =>
      claudeAgent.environmentProblems?.(args, env, root) ?? [];
    expect(problems(DEFAULT_CLAUDE_ARGS)[0]).toContain("IS_SANDBOX=1");
    expect(problems(["-p", "--permission-mode=bypassPermissions"])).toHaveLength(1);
    expect(problems(["-p", "--dangerously-skip-permissions"])).toHaveLength(1);
    expect(problems(DEFAULT_CLAUDE_ARGS, { IS_SANDBOX: "1" })).toEqual([]);
    expect(problems(DEFAULT_CLAUDE_ARGS, {}, false)).toEqual([]);
    expect(problems(DEFAULT_CLAUDE_CHAT_ARGS)).toEqual([]);
  });
});
