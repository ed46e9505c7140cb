import { describe, expect, it } from "vitest";
import { renderTemplate } from "../prompt/template.js";
import { oneLine, renderVerifyFailed, verifyFailureForPrompt, verifyPlaceholderValue } from "./prompt.js";
import { type VerifyRecord, verifyOutcome } from "./result.js";
import { tailText } from "./tail.js";
import { result } from "./test-fixtures.js";

const failedTest = result({ exit_code: 3, output_tail: "FAIL src/a.test.ts\nexpected 1 to be 2\n" });

describe("renderVerifyFailed", () => {
  it("names the command, its exit code, the reopened items and the output tail", () => {
    const block = renderVerifyFailed({
      runId: 7,
      failed: failedTest,
      reopened: [{ text: "add the parser" }, { text: "wire it in" }],
    });
    expect(block).toBe(
      [
        "<VERIFY_FAILED>",
        "The harness ran its verification commands after run 7 and one failed, so that run's work is not done.",
        "Command: test (`pnpm test`)",
        "Result: exit code 3",
        "Reopened TODO items (that run ticked them; tick them again once the command passes):",
        "- add the parser",
        "- wire it in",
        "Output (tail):",
        "FAIL src/a.test.ts",
        "expected 1 to be 2",
        "Fix the cause of this failure before anything else.",
        "</VERIFY_FAILED>",
      ].join("\n"),
    );
  });

  it("says when a command timed out, keeps the cut note, and shows an empty output as such", () => {
    const timedOut = result({
      exit_code: null,
      signal: "SIGTERM",
      timed_out: true,
      timeout_seconds: 900,
      output_tail: tailText("a\nb\nlast line", 9),
    });
    const block = renderVerifyFailed({ failed: timedOut, reopened: [] });
    expect(block).toContain("after the previous run");
    expect(block).toContain("Result: timed out after 900 s\n");
    expect(block).toContain("Output (tail):\n[... 4 earlier characters (2 lines) cut ...]\nlast line\n");
    expect(block).not.toContain("Reopened");
    expect(renderVerifyFailed({ failed: result({ exit_code: 1 }), reopened: [] })).toContain(
      "Output (tail):\n(no output)\n",
    );
  });

  it("shows a multi-line command on one line", () => {
    expect(oneLine("set -e\n  pnpm build\r\n\n  pnpm test\n")).toBe("set -e ⏎ pnpm build ⏎ pnpm test");
  });
});

describe("{{VERIFY}}", () => {
  it("is the block and a blank line after a failure, empty otherwise", () => {
    const template = "Before\n{{VERIFY}}After";
    const failure = { failed: failedTest, reopened: [] };
    expect(renderTemplate(template, { VERIFY: verifyPlaceholderValue(null) })).toBe("Before\nAfter");
    expect(renderTemplate(template, { VERIFY: verifyPlaceholderValue(failure) })).toBe(
      `Before\n${renderVerifyFailed(failure)}\n\nAfter`,
    );
  });
});

describe("verifyFailureForPrompt", () => {
  const record = (o: ReturnType<typeof verifyOutcome>): VerifyRecord => ({
    ...o,
    reopened: [{ text: "x", line: 2, added: false }],
  });
  const failed = record(verifyOutcome([result({ name: "build" }), failedTest], false));

  it("takes the failed command and the reopened items from the previous run's record", () => {
    expect(verifyFailureForPrompt(failed, "reopen", 4)).toEqual({
      runId: 4,
      failed: failedTest,
      reopened: [{ text: "x", line: 2, added: false }],
    });
    // After a stop, a restarted loop tells its first run too.
    expect(verifyFailureForPrompt(failed, "stop", 4)?.failed.name).toBe("test");
  });

  it("says nothing after a pass, an abort, no verification, or with on_fail continue", () => {
    expect(verifyFailureForPrompt(record(verifyOutcome([result()], false)), "reopen")).toBeNull();
    expect(verifyFailureForPrompt(record(verifyOutcome([failedTest], true)), "reopen")).toBeNull();
    expect(verifyFailureForPrompt(null, "reopen")).toBeNull();
    expect(verifyFailureForPrompt(failed, "continue")).toBeNull();
  });
});
