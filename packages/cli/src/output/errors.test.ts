import { CarError } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { formatError } from "./errors.js";

describe("formatError", () => {
  it("makes messages terminal-safe: an error quoting agent output cannot drive the terminal", () => {
    const hostile = "hook said \x1b]0;pwned\x07 and \x1b[2J";
    for (const err of [new CarError("GIT_FAILED", hostile, { file: "x\x1b[1mfile" }), new Error(hostile)]) {
      const text = formatError(err).join("\n");
      expect(text).not.toMatch(/[\x07\x1b]/);
      expect(text).toContain("\u241b]0;pwned\u2407");
    }
  });
});
