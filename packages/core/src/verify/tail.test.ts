import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cutNote, OutputTail, tailText } from "./tail.js";

describe("tailText", () => {
  it("keeps text that fits as it is", () => {
    expect(tailText("a\nb\n", 4)).toBe("a\nb\n");
    expect(tailText("", 0)).toBe("");
  });

  it("cuts on a line boundary and says how much was cut", () => {
    const text = "line one\nline two\nline three";
    // The last 14 chars start inside "line two": the tail starts at the next whole line.
    expect(tailText(text, 14)).toBe(`${cutNote(18, 2)}\nline three`);
    // Exactly at a line start.
    expect(tailText(text, 19)).toBe(`${cutNote(9, 1)}\nline two\nline three`);
    expect(cutNote(18, 2)).toBe("[... 18 earlier characters (2 lines) cut ...]");
  });

  it("cuts inside a line when the kept part holds no line start, never inside a surrogate pair", () => {
    expect(tailText("abcdefghij", 4)).toBe(`${cutNote(6, 1)}\nghij`);
    // A final newline is not a line start worth keeping alone.
    expect(tailText("abcdefghij\n", 4)).toBe(`${cutNote(7, 1)}\nhij\n`);
    const emoji = "ab😀cd"; // 😀 is two UTF-16 units at 2..3
    expect(tailText(emoji, 3)).toBe(`${cutNote(4, 1)}\ncd`);
  });

  it("with a limit of 0 keeps only the note", () => {
    expect(tailText("abc\ndef", 0)).toBe(cutNote(7, 2));
  });

  it("never keeps more than the limit of the output itself (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "\n", "😀") }), fc.nat(40), (text, max) => {
        const out = tailText(text, max);
        if (text.length <= max) return out === text;
        const nl = out.indexOf("\n");
        const kept = nl === -1 ? "" : out.slice(nl + 1);
        const note = nl === -1 ? out : out.slice(0, nl);
        const cut = Number(/^\[\.\.\. (\d+) earlier/.exec(note)?.[1]);
        return kept.length <= max && text.endsWith(kept) && cut + kept.length === text.length;
      }),
    );
  });
});

describe("OutputTail", () => {
  it("gives what tailText gives for all the lines, whatever was dropped on the way (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom("x", "y", "😀"), maxLength: 30 }), { maxLength: 40 }),
        fc.nat(60),
        (lines, max) => {
          const tail = new OutputTail(max);
          for (const l of lines) tail.push(l);
          if (lines.length === 0) return tail.text() === "";
          return tail.text() === tailText(lines.join("\n"), max);
        },
      ),
    );
  });

  it("holds about the limit in memory over a long stream", () => {
    const tail = new OutputTail(100);
    for (let i = 1; i <= 100_000; i++) tail.push(`line ${i}`);
    const text = tail.text();
    const [note, ...rest] = text.split("\n");
    expect(rest.join("\n").length).toBeLessThanOrEqual(100);
    expect(rest.at(-1)).toBe("line 100000");
    expect(rest[0]).toMatch(/^line \d+$/);
    const all = Array.from({ length: 100_000 }, (_, i) => `line ${i + 1}`).join("\n");
    expect(note).toBe(cutNote(all.length - rest.join("\n").length, 100_000 - rest.length));
    // The dropped lines are gone from the buffer, not merely hidden.
    expect((tail as unknown as { lines: string[] }).lines.length).toBeLessThan(2_000);
  });
});
