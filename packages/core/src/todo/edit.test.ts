import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { appendTodo, setTodoDone } from "./edit.js";
import { parseTodo } from "./parse.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isCarError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe("setTodoDone", () => {
  it("ticks and unticks exactly the one character", () => {
    const text = "# T\r\n- [ ] a\r\n  1. [X] b\r\n";
    const ticked = setTodoDone(text, 2, true);
    expect(ticked).toBe("# T\r\n- [x] a\r\n  1. [X] b\r\n");
    expect(setTodoDone(ticked, 2, false)).toBe(text);
    expect(setTodoDone(text, 3, false)).toBe("# T\r\n- [ ] a\r\n  1. [ ] b\r\n");
    expect(setTodoDone(text, 3, true)).toBe(text);
  });

  it("refuses a line that is not an item, including items hidden in fences", () => {
    expect(code(() => setTodoDone("# T\n- [ ] a\n", 1, true))).toBe("INVALID_ARGUMENT");
    expect(code(() => setTodoDone("```\n- [ ] a\n```\n", 2, true))).toBe("INVALID_ARGUMENT");
    expect(code(() => setTodoDone("- [ ] a\n", 99, true))).toBe("INVALID_ARGUMENT");
  });

  it("round-trips a toggle and changes only one character (property)", () => {
    const lineArb = fc.oneof(
      fc.constantFrom(
        "- [ ] a",
        "* [x] b",
        "  1. [ ] c",
        "```",
        "<!--",
        "-->",
        "text",
        "",
        "~~~",
        "+ [X] é 😀",
      ),
      fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, "")),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 15 }), fc.constantFrom("\n", "\r\n"), (lines, eol) => {
        const text = lines.join(eol);
        for (const item of parseTodo(text)) {
          const flipped = setTodoDone(text, item.line, !item.done);
          expect(flipped.length).toBe(text.length);
          let diffs = 0;
          for (let i = 0; i < text.length; i++) if (text[i] !== flipped[i]) diffs++;
          expect(diffs).toBe(1);
          expect(parseTodo(flipped).find((i) => i.line === item.line)?.done).toBe(!item.done);
          const back = setTodoDone(flipped, item.line, item.done);
          if (text[item.checkOffset] !== "X") expect(back).toBe(text);
          else expect(back.length).toBe(text.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("appendTodo", () => {
  it("appends on its own line, adding a newline when missing", () => {
    expect(appendTodo("", "first")).toBe("- [ ] first\n");
    expect(appendTodo("# T\n", "x")).toBe("# T\n- [ ] x\n");
    expect(appendTodo("# T", "x")).toBe("# T\n- [ ] x\n");
    expect(appendTodo("# T\r\n- [ ] a", "b")).toBe("# T\r\n- [ ] a\r\n- [ ] b\r\n");
  });

  it("rejects multi-line or empty text and files ending in an open fence", () => {
    expect(code(() => appendTodo("", "a\nb"))).toBe("INVALID_ARGUMENT");
    expect(code(() => appendTodo("", "a\rb"))).toBe("INVALID_ARGUMENT");
    expect(code(() => appendTodo("", "  "))).toBe("INVALID_ARGUMENT");
    expect(code(() => appendTodo("```\n", "x"))).toBe("INVALID_ARGUMENT");
  });

  it("the appended item is always the last item and nothing before changes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("- [ ] a", "text", "", "```", "```", "<!-- c -->"), { maxLength: 8 }),
        fc.constantFrom("\n", "\r\n"),
        (lines, eol) => {
          const text = lines.join(eol);
          let out: string;
          try {
            out = appendTodo(text, "new item");
          } catch (err) {
            expect(isCarError(err, "INVALID_ARGUMENT")).toBe(true);
            return;
          }
          expect(out.startsWith(text)).toBe(true);
          const items = parseTodo(out);
          expect(items.at(-1)?.text).toBe("new item");
        },
      ),
    );
  });
});
