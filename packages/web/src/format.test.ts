import { describe, expect, it } from "vitest";
import { formatCount, formatDuration, formatUsd, todoDelta } from "./format.js";

describe("format", () => {
  it("formats durations", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(4_400)).toBe("4s");
    expect(formatDuration(62_000)).toBe("1m 02s");
    expect(formatDuration(3_723_000)).toBe("1h 02m");
  });

  it("formats token counts", () => {
    expect(formatCount(undefined)).toBe("—");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234)).toBe("1.2k");
    expect(formatCount(45_000)).toBe("45k");
    expect(formatCount(2_500_000)).toBe("2.5M");
  });

  it("formats money in US dollars", () => {
    expect(formatUsd(null)).toBe("—");
    expect(formatUsd(0.0133)).toBe("$0.0133");
    expect(formatUsd(0.013349)).toBe("$0.0133");
    expect(formatUsd(0)).toBe("$0.0000");
    expect(formatUsd(1.254)).toBe("$1.25");
    expect(formatUsd(12)).toBe("$12.00");
  });

  it("shows the TODO delta of a run", () => {
    expect(todoDelta({ done: 1 }, { done: 3 })).toBe("+2");
    expect(todoDelta({ done: 3 }, { done: 3 })).toBe("0");
    expect(todoDelta({ done: 3 }, { done: 2 })).toBe("−1");
    expect(todoDelta({ done: 3 }, null)).toBe("—");
  });
});
