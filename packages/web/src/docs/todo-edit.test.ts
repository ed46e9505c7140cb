import { describe, expect, it } from "vitest";
import { addTodo, findTodo, todoProgress, todoTextFromReply, toggleTodo } from "./todo-edit.js";

const TODO =
  "# Tasks\n\n- [ ] write parser\n- [x] add tests\n  * [ ] nested item\n\n```\n- [ ] not a task\n```\n";

describe("toggleTodo", () => {
  it("changes exactly the one character inside the brackets", () => {
    const out = toggleTodo(TODO, { line: 3, text: "write parser" }, true);
    expect(out).toBe(TODO.replace("- [ ] write parser", "- [x] write parser"));
    const back = toggleTodo(out, { line: 3, text: "write parser" }, false);
    expect(back).toBe(TODO);
  });

  it("unticks an item and keeps everything else byte-identical (CRLF included)", () => {
    const crlf = TODO.replace(/\n/g, "\r\n");
    const out = toggleTodo(crlf, { line: 4, text: "add tests" }, false);
    expect(out).toBe(crlf.replace("- [x] add tests", "- [ ] add tests"));
    expect(out.length).toBe(crlf.length);
  });

  it("finds the item by its text when lines moved (the agent inserted a line above)", () => {
    const moved = `- [ ] new first\n${TODO}`;
    const out = toggleTodo(moved, { line: 3, text: "write parser" }, true);
    expect(out).toContain("- [x] write parser");
    expect(out).toContain("- [ ] new first");
  });

  it("refuses to tick a neighbour when the item is gone", () => {
    expect(() => toggleTodo(TODO, { line: 3, text: "deleted item" }, true)).toThrow(/no longer in the TODO/);
  });

  it("never counts items inside code fences", () => {
    expect(findTodo(TODO, { line: 8, text: "not a task" })).toBeNull();
    expect(todoProgress(TODO)).toEqual({ done: 1, total: 3 });
  });
});

describe("addTodo", () => {
  it("appends an unchecked item on its own line", () => {
    expect(addTodo("- [ ] a", "b")).toBe("- [ ] a\n- [ ] b\n");
    expect(addTodo("", "  first  ")).toBe("- [ ] first\n");
  });

  it("joins multi-line text into one item and rejects empty text", () => {
    expect(addTodo("", "line one\n  line two")).toBe("- [ ] line one line two\n");
    expect(() => addTodo("", "   ")).toThrow(/Type the item's text/);
  });
});

describe("todoTextFromReply", () => {
  it("takes the first meaningful line without markdown syntax", () => {
    expect(todoTextFromReply("\n## Fix the flaky test\nmore")).toBe("Fix the flaky test");
    expect(todoTextFromReply("- [ ] Add retries to the client")).toBe("Add retries to the client");
    expect(todoTextFromReply("1. Bump the version")).toBe("Bump the version");
    expect(todoTextFromReply("```\ncode\n```")).toBe("code");
    expect(todoTextFromReply("")).toBe("");
  });

  it("cuts long lines at a word boundary", () => {
    const long = `${"word ".repeat(100)}end`;
    const out = todoTextFromReply(long);
    expect(out.length).toBeLessThanOrEqual(201);
    expect(out.endsWith("word…")).toBe(true);
  });
});
