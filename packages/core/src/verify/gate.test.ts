import { describe, expect, it } from "vitest";
import { decideAfterVerify, isVerifiedDone } from "./gate.js";
import { type VerifyOutcome, verifyOutcome } from "./result.js";
import type { VerifySettings } from "./settings.js";
import { result } from "./test-fixtures.js";

const pass = verifyOutcome([result()], false);
const fail = verifyOutcome([result(), result({ name: "lint", exit_code: 2 })], false);
const settings = (on_fail: VerifySettings["on_fail"], max = 3) => ({
  on_fail,
  max_consecutive_failures: max,
});

/** The counter and stop decisions over a series of verdicts. */
function series(s: ReturnType<typeof settings>, outcomes: VerifyOutcome[]) {
  let n = 0;
  return outcomes.map((o) => {
    const d = decideAfterVerify(s, n, o);
    n = d.consecutive_failures;
    return d;
  });
}

describe("decideAfterVerify", () => {
  it("reopen: reopens, skips the commit, and stops after max failures in a row", () => {
    const ds = series(settings("reopen", 3), [fail, fail, pass, fail, fail, fail]);
    expect(ds.map((d) => d.consecutive_failures)).toEqual([1, 2, 0, 1, 2, 3]);
    expect(ds.map((d) => d.reopen)).toEqual([true, true, false, true, true, true]);
    expect(ds.map((d) => d.commit)).toEqual([false, false, true, false, false, false]);
    expect(ds.slice(0, 5).every((d) => d.stop === null)).toBe(true);
    expect(ds[5]?.stop).toEqual({
      reason: "verify_failed",
      detail: "verification failed 3 runs in a row (last: lint: exit code 2)",
    });
  });

  it("reopen with a limit of 1 stops at the first failure", () => {
    expect(decideAfterVerify(settings("reopen", 1), 0, fail).stop?.detail).toBe(
      "verification failed 1 run in a row (last: lint: exit code 2)",
    );
  });

  it("stop: stops after the first failure, nothing reopened or committed", () => {
    expect(decideAfterVerify(settings("stop", 5), 0, fail)).toEqual({
      consecutive_failures: 1,
      reopen: false,
      commit: false,
      stop: { reason: "verify_failed", detail: "verification failed: lint: exit code 2" },
    });
    expect(decideAfterVerify(settings("stop", 5), 0, pass).stop).toBeNull();
  });

  it("continue: records only (counts, commits, never stops)", () => {
    const ds = series(settings("continue", 2), [fail, fail, fail]);
    expect(ds.map((d) => [d.consecutive_failures, d.reopen, d.commit, d.stop])).toEqual([
      [1, false, true, null],
      [2, false, true, null],
      [3, false, true, null],
    ]);
  });

  it("an abort is no verdict: counter unchanged, nothing reopened or committed", () => {
    const aborted = verifyOutcome([result({ exit_code: null, signal: "SIGTERM" })], true);
    expect(decideAfterVerify(settings("reopen", 1), 0, aborted)).toEqual({
      consecutive_failures: 0,
      reopen: false,
      commit: false,
      stop: null,
    });
  });
});

describe("isVerifiedDone", () => {
  it("is done with nothing outstanding and a passing (or no) last verification", () => {
    expect(isVerifiedDone(0, "reopen", { passed: true, failed_command: null })).toBe(true);
    expect(isVerifiedDone(0, "reopen", null)).toBe(true);
    expect(isVerifiedDone(1, "reopen", { passed: true, failed_command: null })).toBe(false);
    expect(isVerifiedDone(0, "reopen", { passed: false, failed_command: "test" })).toBe(false);
    expect(isVerifiedDone(0, "stop", { passed: false, failed_command: "test" })).toBe(false);
    // continue records only: the verdict does not hold the loop.
    expect(isVerifiedDone(0, "continue", { passed: false, failed_command: "test" })).toBe(true);
  });
});
