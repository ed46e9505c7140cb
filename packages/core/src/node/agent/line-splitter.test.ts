import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizeAgentLine } from "../../log/format.js";
import { LineSplitter, sanitizeLines, sanitizeText, splitRaw, utf8Boundary } from "./line-splitter.js";
import { BYTE_PIECES } from "./test-bytes.js";

/** Everything a splitter hands on for `chunks`, as lines: complete lines, cut pieces, the last line. */
function feed(chunks: Buffer[], cap: number): { lines: string[]; pieces: string[] } {
  const s = new LineSplitter(cap);
  const lines: string[] = [];
  const pieces: string[] = [];
  for (const c of chunks) {
    const text = s.push(c);
    if (text !== null) lines.push(...text.split("\n"));
    const piece = s.cut();
    if (piece !== null) {
      pieces.push(piece);
      lines.push(piece);
    }
  }
  const tail = s.end();
  if (tail !== "") lines.push(tail);
  return { lines, pieces };
}

/** Bytes of ASCII, multi-byte UTF-8, invalid bytes, CR, NUL and newlines. */
const bytes = fc
  .array(fc.constantFrom(...BYTE_PIECES), { maxLength: 300 })
  .map((parts) => Buffer.from(parts.flat()));

/** `data` cut at `cuts` (positions taken modulo its length). */
function chunked(data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (data.length ? c % data.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, data.length]) {
    if (c > from) out.push(data.subarray(from, c));
    from = Math.max(from, c);
  }
  return out;
}

describe("LineSplitter", () => {
  it("gives the lines a decode per line gives, however the bytes are chunked (property)", () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (data, cuts) => {
        const expected: string[] = [];
        let start = 0;
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
          expected.push(new TextDecoder().decode(data.subarray(start, nl)));
          start = nl + 1;
        }
        if (start < data.length) expected.push(new TextDecoder().decode(data.subarray(start)));
        expect(feed(chunked(data, cuts), 1 << 20).lines).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("cuts a line without newline at the cap, never inside a character, losing nothing", () => {
    const line = Buffer.from("é€😀".repeat(5000)); // 9 bytes per round: cuts fall inside characters
    const chunks = chunked(
      line,
      Array.from({ length: 40 }, (_, i) => i * 1111),
    );
    const { lines, pieces } = feed([...chunks, Buffer.from("\nnext\n")], 4096);
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces) expect(p).not.toContain("\uFFFD");
    expect(lines.slice(0, -2).join("") + lines.at(-2)).toBe(line.toString("utf8"));
    expect(lines.at(-1)).toBe("next");
  });

  it("decodes a large ASCII text (made a Latin-1 string) the same as UTF-8", () => {
    const big = Buffer.from(`${"a".repeat(2 * 1024 * 1024)}\n`);
    const s = new LineSplitter(64 * 1024 * 1024);
    expect(s.push(big.subarray(0, 1000))).toBeNull();
    expect(s.push(big.subarray(1000))).toBe("a".repeat(2 * 1024 * 1024));
    const nonAscii = Buffer.from(`${"é".repeat(1024 * 1024)}\n`);
    expect(new LineSplitter(64 * 1024 * 1024).push(nonAscii)).toBe("é".repeat(1024 * 1024));
  });
});

describe("utf8Boundary", () => {
  it("stops before a sequence its last bytes begin, and only then", () => {
    const b = (...x: number[]) => Buffer.from(x);
    expect(utf8Boundary(b(0x61, 0xe2, 0x82))).toBe(1);
    expect(utf8Boundary(b(0x61, 0xe2, 0x82, 0xac))).toBe(4);
    expect(utf8Boundary(b(0x61, 0xf0, 0x9f, 0x98))).toBe(1);
    expect(utf8Boundary(b(0x61, 0xc3))).toBe(1);
    expect(utf8Boundary(b(0x61, 0xff))).toBe(2);
    expect(utf8Boundary(b(0x80, 0x80, 0x80, 0x80, 0x80))).toBe(5);
    expect(utf8Boundary(b())).toBe(0);
  });
});

describe("sanitising a chunk's text", () => {
  it("sanitizeLines / sanitizeText are sanitizeAgentLine per line (property)", () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const text = new TextDecoder().decode(data);
        const expected = text.split("\n").flatMap(sanitizeAgentLine);
        expect(sanitizeLines(text)).toEqual(expected);
        expect(sanitizeText(text)).toBe(expected.join("\n"));
      }),
      { numRuns: 300 },
    );
  });

  it("splitRaw drops a CRLF's CR and copies short lines out of a huge text", () => {
    expect(splitRaw("a\r\nb\rc\r\n")).toEqual(["a", "b\rc", ""]);
    const huge = `${"x".repeat(2 * 1024 * 1024)}\n{"type":"turn.completed"}`;
    const lines = splitRaw(huge);
    expect(lines).toEqual(["x".repeat(2 * 1024 * 1024), '{"type":"turn.completed"}']);
  });
});
