import type { RunRecord } from "@codex-autorunner/core";
import { describe, expect, it } from "vitest";
import { changesSummary, verifyVerdict } from "./summary.js";

const command = {
  name: "test",
  command: "pnpm test",
  exit_code: 1,
  signal: null,
  timed_out: false,
  timeout_seconds: null,
  duration_ms: 10,
  passed: false,
  output_tail: "1 failed",
};

describe("verifyVerdict", () => {
  it("names the failing command, and says none without a verification", () => {
    const failed = {
      passed: false,
      failed_command: "test",
      aborted: false,
      commands: [command],
      reopened: [],
    };
    expect(verifyVerdict(failed)).toEqual({ text: "failed test", tone: "error" });
    expect(verifyVerdict({ ...failed, passed: true, failed_command: null })).toEqual({
      text: "passed",
      tone: "ok",
    });
    expect(verifyVerdict({ ...failed, failed_command: null, aborted: true })).toEqual({
      text: "aborted",
      tone: "warn",
    });
    expect(verifyVerdict(null)).toEqual({ text: "none", tone: "none" });
    // The state's last_verify has no `aborted`.
    expect(verifyVerdict({ passed: false, failed_command: "lint" })).toEqual({
      text: "failed lint",
      tone: "error",
    });
    // …and after an interrupted verification it names no command: that run was not verified.
    expect(verifyVerdict({ passed: false, failed_command: null })).toEqual({
      text: "not verified",
      tone: "warn",
    });
  });
});

describe("changesSummary", () => {
  const checkpoints = (changes: NonNullable<RunRecord["checkpoints"]>["changes"]) => ({
    before: null,
    after: null,
    changes,
  });
  it("counts lines and files from the record", () => {
    const files = { files: [], files_omitted: 0, additions: 12, deletions: 3 };
    expect(changesSummary(checkpoints({ ...files, files_total: 2 }))).toBe("+12 −3, 2 files");
    expect(changesSummary(checkpoints({ ...files, files_total: 1 }))).toBe("+12 −3, 1 file");
    expect(changesSummary(checkpoints({ ...files, additions: 0, deletions: 0, files_total: 0 }))).toBe(
      "no changes",
    );
    expect(changesSummary(checkpoints(null))).toBe("—");
    expect(changesSummary(null)).toBe("—");
  });
});
