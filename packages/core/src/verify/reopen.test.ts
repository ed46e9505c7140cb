import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTodo } from "../todo/parse.js";
import { reopenTickedItems } from "./reopen.js";

/** Positions where two equally long texts differ. */
function diffAt(a: string, b: string): number[] {
  expect(b.length).toBe(a.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

describe("reopenTickedItems", () => {
  it("unticks exactly the items the run ticked, changing one character each", () => {
    const before = "# TODO\n- [x] done earlier\n- [ ] first\n- [ ] second\n- [ ] third\n";
    const after =
      "# TODO\n- [x] done earlier\n- [x] first\n- [X] second\n- [ ] third\n\nNotes by the agent.\n";
    const r = reopenTickedItems(before, after);
    expect(r.text).toBe(
      "# TODO\n- [x] done earlier\n- [ ] first\n- [ ] second\n- [ ] third\n\nNotes by the agent.\n",
    );
    expect(r.reopened).toEqual([
      { text: "first", line: 3, added: false },
      { text: "second", line: 4, added: false },
    ]);
    expect(diffAt(after, r.text)).toHaveLength(2);
  });

  it("returns the TODO unchanged when the run ticked nothing (or only unticked)", () => {
    const before = "- [x] a\n- [ ] b\n";
    expect(reopenTickedItems(before, before)).toEqual({ text: before, reopened: [] });
    const unticked = "- [ ] a\n- [ ] b\n";
    expect(reopenTickedItems(before, unticked)).toEqual({ text: unticked, reopened: [] });
  });

  it("follows items the run moved (a Done section at the bottom)", () => {
    const before = "- [x] old\n- [ ] alpha\n- [ ] beta\n- [ ] gamma\n";
    const after = "- [ ] gamma\n\n## Done\n- [x] beta\n- [x] old\n- [x] alpha\n";
    const r = reopenTickedItems(before, after);
    expect(r.text).toBe("- [ ] gamma\n\n## Done\n- [ ] beta\n- [x] old\n- [ ] alpha\n");
    expect(r.reopened.map((i) => i.text)).toEqual(["beta", "alpha"]);
  });

  it("reopens an item the run added already ticked, and one it reworded", () => {
    const before = "- [ ] fix the test\n";
    const after = "- [x] fix the tests\n- [x] also refactor\n- [ ] later\n";
    const r = reopenTickedItems(before, after);
    expect(r.text).toBe("- [ ] fix the tests\n- [ ] also refactor\n- [ ] later\n");
    expect(r.reopened).toEqual([
      { text: "fix the tests", line: 1, added: true },
      { text: "also refactor", line: 2, added: true },
    ]);
  });

  it("never touches task-like lines in code fences or HTML comments", () => {
    const before = "- [ ] real\n```md\n- [ ] real\n```\n<!-- - [ ] real -->\n";
    const after = "- [x] real\n```md\n- [x] real\n```\n<!-- - [x] real -->\n";
    const r = reopenTickedItems(before, after);
    expect(r.text).toBe("- [ ] real\n```md\n- [x] real\n```\n<!-- - [x] real -->\n");
    expect(r.reopened).toEqual([{ text: "real", line: 1, added: false }]);
  });

  it("pairs duplicates in order of occurrence", () => {
    // The run ticked the first of two identical items; the second was already done.
    expect(reopenTickedItems("- [ ] same\n- [x] same\n", "- [x] same\n- [x] same\n")).toEqual({
      text: "- [ ] same\n- [x] same\n",
      reopened: [{ text: "same", line: 1, added: false }],
    });
    // The run ticked the second.
    expect(reopenTickedItems("- [ ] same\n- [ ] same\n", "- [ ] same\n- [x] same\n").text).toBe(
      "- [ ] same\n- [ ] same\n",
    );
  });

  it("with duplicates added or removed, keeps the user's earlier ticks and reopens the new claim", () => {
    // A ticked copy added after one that was already ticked: the copy is reopened.
    expect(reopenTickedItems("- [x] same\n", "- [x] same\n- [x] same\n")).toEqual({
      text: "- [x] same\n- [ ] same\n",
      reopened: [{ text: "same", line: 2, added: true }],
    });
    // An open copy added above the ticked one: nothing was ticked by the run.
    expect(reopenTickedItems("- [x] same\n", "- [ ] same\n- [x] same\n").reopened).toEqual([]);
    // One of two open copies removed, the other ticked: reopened.
    expect(reopenTickedItems("- [ ] same\n- [ ] same\n", "- [x] same\n").text).toBe("- [ ] same\n");
    // One of a ticked and an open copy removed, the ticked kept: nothing to reopen.
    expect(reopenTickedItems("- [ ] same\n- [x] same\n", "- [x] same\n").reopened).toEqual([]);
  });

  it("pairs thousands of duplicates by occurrence without a quadratic table", () => {
    const before = "- [ ] x\n".repeat(1001) + "- [x] y\n";
    const after = "- [x] x\n".repeat(1000) + "- [x] y\n";
    const r = reopenTickedItems(before, after);
    expect(r.text).toBe("- [ ] x\n".repeat(1000) + "- [x] y\n");
    expect(r.reopened).toHaveLength(1000);
  });

  it("keeps CRLF line endings, nested items and other list markers", () => {
    const before = "# T\r\n- [ ] parent\r\n  1. [ ] child\r\n  * [x] other\r\n";
    const after = "# T\r\n- [x] parent\r\n  1. [x] child\r\n  * [x] other\r\n";
    expect(reopenTickedItems(before, after).text).toBe(before);
  });

  it("changes only checkboxes, and never leaves more items of a text ticked than before (property)", () => {
    const texts = fc.constantFrom("a", "b", "c");
    const line = fc.oneof(
      fc.record({ t: texts, done: fc.boolean() }).map(({ t, done }) => `- [${done ? "x" : " "}] ${t}`),
      fc.constantFrom("```", "prose", "<!-- - [x] a -->", ""),
    );
    const doc = fc.array(line, { maxLength: 12 }).map((ls) => `${ls.join("\n")}\n`);
    fc.assert(
      fc.property(doc, doc, (before, after) => {
        const r = reopenTickedItems(before, after);
        const items = parseTodo(after);
        const offsets = new Set(items.map((i) => i.checkOffset));
        for (const at of diffAt(after, r.text)) if (!offsets.has(at) || r.text[at] !== " ") return false;
        const ticked = (text: string, t: string) =>
          parseTodo(text).filter((i) => i.done && i.text === t).length;
        for (const t of ["a", "b", "c"]) {
          if (ticked(r.text, t) > Math.min(ticked(before, t), ticked(after, t))) return false;
        }
        // Reopening twice changes nothing more; the same file before and after reopens nothing.
        return (
          reopenTickedItems(before, r.text).reopened.length === 0 &&
          reopenTickedItems(after, after).reopened.length === 0
        );
      }),
      { numRuns: 500 },
    );
  });
});
