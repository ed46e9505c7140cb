import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIndexEntry, type IndexEntry, parseIndex, parseIndexDetailed } from "./index-format.js";

describe("log index format", () => {
  it("writes one JSON object per line, newline included", () => {
    expect(formatIndexEntry({ run: 12, start: 1234, end: 5678 })).toBe(
      '{"run":12,"start":1234,"end":5678}\n',
    );
    expect(formatIndexEntry({ run: 1, start: 0, end: null })).toBe('{"run":1,"start":0,"end":null}\n');
  });

  it("lets a later line for the same run replace the open one", () => {
    const text =
      formatIndexEntry({ run: 1, start: 0, end: null }) +
      formatIndexEntry({ run: 1, start: 0, end: 100 }) +
      formatIndexEntry({ run: 2, start: 100, end: null });
    expect(parseIndex(text)).toEqual([
      { run: 1, start: 0, end: 100 },
      { run: 2, start: 100, end: null },
    ]);
  });

  it("tolerates a torn last line and counts invalid lines elsewhere", () => {
    const good = formatIndexEntry({ run: 1, start: 0, end: 50 });
    const torn = `${good}{"run":2,"sta`;
    expect(parseIndexDetailed(torn)).toEqual({ entries: [{ run: 1, start: 0, end: 50 }], invalidLines: 0 });
    const bad = `garbage\n${good}{"run":"3","start":0,"end":null}\n{"run":4,"start":10,"end":5}\n\n`;
    expect(parseIndexDetailed(bad)).toEqual({ entries: [{ run: 1, start: 0, end: 50 }], invalidLines: 3 });
    expect(parseIndex("")).toEqual([]);
  });

  it("round-trips any list of entries (property)", () => {
    const entry = fc
      .record({ run: fc.nat(), start: fc.nat(), len: fc.option(fc.integer({ min: 1, max: 1e9 })) })
      .map(({ run, start, len }): IndexEntry => ({ run, start, end: len === null ? null : start + len }));
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.run, maxLength: 20 }), (entries) => {
        const parsed = parseIndex(entries.map(formatIndexEntry).join(""));
        expect(parsed).toEqual([...entries].sort((a, b) => a.start - b.start));
      }),
    );
  });
});
