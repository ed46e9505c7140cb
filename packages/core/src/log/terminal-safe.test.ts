import { describe, expect, it } from "vitest";
import { makeTerminalSafe } from "./terminal-safe.js";

// Any byte a terminal acts on: C0 but tab/newline, DEL, C1.
const DANGEROUS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe("makeTerminalSafe", () => {
  it("shows an OSC title change and a screen clear instead of sending them", () => {
    const out = makeTerminalSafe("a\x1b]0;pwned\x07b\x1b[2Jc");
    expect(out).toBe("a\u241b]0;pwned\u2407b\u241b[2Jc");
    expect(out).not.toMatch(DANGEROUS);
  });

  it("keeps tab, newline and ordinary Unicode; shows CR, backspace, DEL and C1 controls", () => {
    expect(makeTerminalSafe("x\ty\nz é 日本 🙂")).toBe("x\ty\nz é 日本 🙂");
    expect(makeTerminalSafe("a\rb\bc\x7fd")).toBe("a\u240db\u2408c\u2421d");
    expect(makeTerminalSafe("\x9b2J\x9d0;t\x9c")).toBe("\\u009b2J\\u009d0;t\\u009c");
  });

  it("leaves no control character of any code point behind", () => {
    let all = "";
    for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c);
    const out = makeTerminalSafe(all);
    expect(out.replace(/[\t\n]/g, "")).not.toMatch(DANGEROUS);
    expect(out).toContain("\t\n");
  });
});
