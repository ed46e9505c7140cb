import { describe, expect, it } from "vitest";
import { commandPassed, describeResult, formatDuration, verdictOf, verifyOutcome } from "./result.js";
import { result } from "./test-fixtures.js";

describe("commandPassed", () => {
  it("passes only a clean exit 0 in time", () => {
    expect(commandPassed({ exit_code: 0, signal: null, timed_out: false })).toBe(true);
    expect(commandPassed({ exit_code: 3, signal: null, timed_out: false })).toBe(false);
    expect(commandPassed({ exit_code: null, signal: "SIGTERM", timed_out: false })).toBe(false);
    expect(commandPassed({ exit_code: 0, signal: null, timed_out: true })).toBe(false);
    expect(commandPassed({ exit_code: null, signal: null, timed_out: false })).toBe(false);
  });
});

describe("verdictOf", () => {
  it("passes an empty or all-passing sequence", () => {
    expect(verdictOf([])).toEqual({ passed: true, failed_command: null });
    expect(verdictOf([result(), result({ name: "lint" })])).toEqual({ passed: true, failed_command: null });
  });

  it("names the first failure; a timeout is a failure", () => {
    const timedOut = result({ name: "lint", exit_code: null, signal: "SIGTERM", timed_out: true });
    expect(verdictOf([result(), timedOut])).toEqual({ passed: false, failed_command: "lint" });
    expect(verdictOf([result({ exit_code: 3 }), timedOut])).toEqual({
      passed: false,
      failed_command: "test",
    });
  });

  it("gives no pass to an aborted or unfinished sequence, and names no culprit", () => {
    expect(verdictOf([result()], { aborted: true })).toEqual({ passed: false, failed_command: null });
    expect(verdictOf([result()], { expected: 2 })).toEqual({ passed: false, failed_command: null });
    expect(verifyOutcome([result()], true)).toMatchObject({ passed: false, aborted: true });
  });
});

describe("describeResult", () => {
  it("says how a command ended", () => {
    expect(describeResult(result())).toBe("passed");
    expect(describeResult(result({ exit_code: 3 }))).toBe("exit code 3");
    expect(describeResult(result({ exit_code: null, signal: "SIGKILL" }))).toBe("killed by SIGKILL");
    expect(
      describeResult(result({ exit_code: null, signal: "SIGTERM", timed_out: true, timeout_seconds: 900 })),
    ).toBe("timed out after 900 s");
    expect(describeResult(result({ exit_code: null }))).toBe("could not run");
  });

  it("formats durations for people", () => {
    expect(formatDuration(950)).toBe("950 ms");
    expect(formatDuration(1234)).toBe("1.2 s");
    expect(formatDuration(59_990)).toBe("1 min 0 s");
    expect(formatDuration(119_600)).toBe("2 min 0 s");
    expect(formatDuration(754_000)).toBe("12 min 34 s");
  });
});
