import { describe, expect, it } from "vitest";
import { classifyPatch } from "./patch.js";

describe("classifyPatch", () => {
  it("tells file headers, hunks, added, removed and context lines apart", () => {
    const patch = [
      "diff --git a/a.txt b/a.txt",
      "index 1111111..2222222 100644",
      "--- a/a.txt",
      "+++ b/a.txt",
      "@@ -1,2 +1,2 @@",
      " same",
      "-old",
      "+new",
      "--- a line that starts with dashes",
      "\\ No newline at end of file",
      "diff --git a/b.bin b/b.bin",
      "Binary files a/b.bin and b/b.bin differ",
      "",
    ].join("\n");
    expect(classifyPatch(patch).map((l) => l.kind)).toEqual([
      "file",
      "meta",
      "meta",
      "meta",
      "hunk",
      "ctx",
      "del",
      "add",
      "del",
      "meta",
      "file",
      "meta",
    ]);
    expect(classifyPatch("")).toEqual([]);
  });
});
