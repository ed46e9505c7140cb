import { afterEach, describe, expect, it, vi } from "vitest";
import { setLongTimeout } from "./long-timeout.js";

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe("setLongTimeout", () => {
  it("fires after a delay setTimeout cannot hold (30 days), not at once", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    setLongTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * DAY);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("is cancelled by the function it returns, also after a re-arm", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const cancel = setLongTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(26 * DAY);
    cancel();
    vi.advanceTimersByTime(10 * DAY);
    expect(fn).not.toHaveBeenCalled();
    const short = vi.fn();
    setLongTimeout(short, 50);
    vi.advanceTimersByTime(50);
    expect(short).toHaveBeenCalledTimes(1);
  });
});
