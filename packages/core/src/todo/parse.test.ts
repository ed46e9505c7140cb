import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countTodo, firstOutstanding, parseTodo } from "./parse.js";

describe("parseTodo", () => {
  it("recognises every list marker, any indentation, and both done spellings", () => {
    const text = [
      "# TODO",
      "- [ ] dash",
      "* [x] star",
      "+ [X] plus",
      "1. [ ] numbered dot",
      "12) [ ] numbered paren",
      "      - [ ] deep",
      "\t- [x] tab",
      "- [ ]",
      "-   [ ]   spaced  ",
    ].join("\n");
    const items = parseTodo(text);
    expect(items.map((i) => [i.line, i.marker, i.done, i.text, i.indent])).toEqual([
      [2, "-", false, "dash", 0],
      [3, "*", true, "star", 0],
      [4, "+", true, "plus", 0],
      [5, "1.", false, "numbered dot", 0],
      [6, "12)", false, "numbered paren", 0],
      [7, "-", false, "deep", 6],
      [8, "-", true, "tab", 1],
      [9, "-", false, "", 0],
      [10, "-", false, "spaced", 0],
    ]);
    for (const item of items) expect(text[item.checkOffset]).toMatch(/[ xX]/);
    expect(countTodo(text)).toEqual({ outstanding: 6, done: 3 });
  });

  it("ignores lookalikes that are not task items", () => {
    const text = [
      "-[ ] no space",
      "- [] empty",
      "- [ ]x glued",
      "- [y] other",
      "[ ] bare",
      "text - [ ] mid",
      "- [  ] two",
    ].join("\n");
    expect(parseTodo(text)).toEqual([]);
  });

  it("skips items inside ``` and ~~~ fences until a matching close", () => {
    const text = [
      "- [ ] before",
      "````md",
      "- [ ] in fence",
      "```",
      "- [ ] still in fence (shorter close)",
      "~~~~",
      "````",
      "- [ ] after",
      "  ~~~",
      "  - [x] indented fence",
      "  ~~~",
      "```js ` not a fence",
      "- [ ] counted",
    ].join("\n");
    expect(parseTodo(text).map((i) => i.text)).toEqual(["before", "after", "counted"]);
  });

  it("skips items inside single- and multi-line HTML comments", () => {
    const text = [
      "<!-- - [ ] one-line comment -->",
      "<!--",
      "- [ ] in comment",
      "```",
      "-->",
      "- [ ] after comment",
      "- [ ] with trailing note <!-- ok -->",
      "<!-- a --> <!-- b",
      "- [ ] in second comment",
      "--> - [ ] text on the closing line",
      "<!---->",
      "- [x] done after empty comment",
      "<!-->",
      "- [ ] after CommonMark empty comment",
    ].join("\n");
    expect(parseTodo(text).map((i) => i.text)).toEqual([
      "after comment",
      "with trailing note <!-- ok -->",
      "done after empty comment",
      "after CommonMark empty comment",
    ]);
  });

  it("an unclosed fence or comment hides the rest of the file", () => {
    expect(parseTodo("- [ ] a\n```\n- [ ] b\n")).toHaveLength(1);
    expect(parseTodo("- [ ] a\n<!--\n- [ ] b\n")).toHaveLength(1);
  });

  it("handles CRLF line endings and a BOM with exact offsets", () => {
    const text = "\uFEFF- [ ] a\r\n- [x] b\r\n```\r\n- [ ] c\r\n```\r\n- [ ] d";
    const items = parseTodo(text);
    expect(items.map((i) => [i.text, i.line])).toEqual([
      ["a", 1],
      ["b", 2],
      ["d", 6],
    ]);
    for (const item of items) expect(text[item.checkOffset - 1]).toBe("[");
    expect(firstOutstanding(text)?.text).toBe("a");
  });
});

// ---- property: items inside fences/comments never count -------------------------------------------

const word = fc
  .array(fc.constantFrom("a", "b", "z", " ", "1", "."), { minLength: 1, maxLength: 8 })
  .map((a) => a.join(""));
const marker = fc.constantFrom("-", "*", "+", "1.", "2)");
const indent = fc.constantFrom("", " ", "  ", "    ", "\t");
const itemLine = fc
  .record({ indent, marker, done: fc.constantFrom(" ", "x", "X"), text: word })
  .map((r) => ({ line: `${r.indent}${r.marker} [${r.done}] ${r.text}`, done: r.done !== " " }));
/** Lines that may sit inside a fence or comment and must not end it early. */
const hiddenLine = (inside: "fence" | "comment", fenceChar: string, fenceLen: number) =>
  fc.oneof(
    itemLine.map((i) => i.line),
    word,
    fc.constant(inside === "fence" ? "<!--" : "```"),
    fc.constant(inside === "fence" ? "-->" : "~~~"),
    fc.constant(
      inside === "comment" ? "- [ ] <!-- nested open" : `${fenceChar === "`" ? "~" : "`"}`.repeat(3),
    ),
    fc.constant(fenceLen > 3 ? fenceChar.repeat(fenceLen - 1) : `${fenceChar.repeat(fenceLen)} info`),
  );

type Block = { lines: string[]; items: boolean[] };
const block: fc.Arbitrary<Block> = fc.oneof(
  itemLine.map((i) => ({ lines: [i.line], items: [i.done] })),
  word.map((w) => ({ lines: [w], items: [] })),
  fc
    .record({
      char: fc.constantFrom("`", "~"),
      len: fc.integer({ min: 3, max: 5 }),
      extra: fc.integer({ min: 0, max: 2 }),
    })
    .chain(({ char, len, extra }) =>
      fc.array(hiddenLine("fence", char, len), { maxLength: 5 }).map((inner) => ({
        lines: [`${char.repeat(len)}${char === "~" ? " info" : ""}`, ...inner, char.repeat(len + extra)],
        items: [],
      })),
    ),
  fc.array(hiddenLine("comment", "`", 3), { maxLength: 5 }).map((inner) => ({
    lines: ["<!--", ...inner, "-->"],
    items: [],
  })),
  itemLine.map((i) => ({ lines: [`<!-- ${i.line} -->`], items: [] })),
);

describe("parseTodo properties", () => {
  it("counts exactly the items outside fences and comments", () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 12 }), fc.constantFrom("\n", "\r\n"), (blocks, eol) => {
        const text = blocks.flatMap((b) => b.lines).join(eol);
        const expected = blocks.flatMap((b) => b.items);
        const items = parseTodo(text);
        expect(items.map((i) => i.done)).toEqual(expected);
        expect(countTodo(text)).toEqual({
          outstanding: expected.filter((d) => !d).length,
          done: expected.filter((d) => d).length,
        });
      }),
      { numRuns: 500 },
    );
  });
});
