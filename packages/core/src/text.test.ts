import { describe, expect, it } from "vitest";
import { clipText } from "./text.js";

describe("clipText", () => {
  it("keeps text within the limit and cuts longer text to exactly the limit, ending in …", () => {
    expect(clipText("abc", 3)).toBe("abc");
    expect(clipText("abcd", 3)).toBe("ab…");
    expect(clipText("abcd", 3)).toHaveLength(3);
  });
});
