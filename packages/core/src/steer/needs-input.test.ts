import { describe, expect, it } from "vitest";
import { findNeedsInput, NEEDS_INPUT_INSTRUCTION, NEEDS_INPUT_MAX_CHARS } from "./needs-input.js";

describe("findNeedsInput", () => {
  it("finds the question of a NEEDS_INPUT line, trimmed", () => {
    expect(findNeedsInput("Did the parser.\nNEEDS_INPUT:   Keep the v1 API or break it?  \n")).toBe(
      "Keep the v1 API or break it?",
    );
  });

  it("takes the last such line", () => {
    expect(findNeedsInput("NEEDS_INPUT: first?\nmore\r\nNEEDS_INPUT: second?")).toBe("second?");
  });

  it("returns null without one, or with only an empty one", () => {
    expect(findNeedsInput("all done")).toBeNull();
    expect(findNeedsInput("NEEDS_INPUT:   ")).toBeNull();
    expect(findNeedsInput("I do not need NEEDS_INPUT: here, mid-line")).toBeNull();
  });

  it("ignores lines inside code fences", () => {
    const text = [
      "Example of the protocol:",
      "```text",
      "NEEDS_INPUT: inside backticks?",
      "```",
      "~~~~",
      "NEEDS_INPUT: inside tildes?",
      "```", // a different fence char does not close it
      "~~~~",
      "done",
    ].join("\n");
    expect(findNeedsInput(text)).toBeNull();
    expect(findNeedsInput(`${text}\nNEEDS_INPUT: real?`)).toBe("real?");
  });

  it("accepts markdown emphasis and indentation around the keyword", () => {
    expect(findNeedsInput("  **NEEDS_INPUT:** which database?")).toBe("which database?");
    expect(findNeedsInput("`NEEDS_INPUT`: which port?")).toBe("which port?");
    expect(findNeedsInput("**NEEDS_INPUT: which branch?**")).toBe("which branch?");
  });

  it("does not take the instruction's own placeholder (a plain agent echoing its prompt)", () => {
    expect(findNeedsInput(NEEDS_INPUT_INSTRUCTION)).toBeNull();
    expect(findNeedsInput("NEEDS_INPUT: <your question>")).toBeNull();
  });

  it("bounds the question", () => {
    const q = findNeedsInput(`NEEDS_INPUT: ${"x".repeat(NEEDS_INPUT_MAX_CHARS * 2)}`);
    expect(q).toHaveLength(NEEDS_INPUT_MAX_CHARS);
    expect(q?.endsWith("…")).toBe(true);
  });

  it("is told to the agent with the exact keyword", () => {
    expect(NEEDS_INPUT_INSTRUCTION).toContain("`NEEDS_INPUT: <your question>`");
  });
});
