import { describe, expect, it } from "vitest";
import { formatLogLine, parseLogLine } from "../log/format.js";
import {
  formatVerifyEnd,
  formatVerifyOutput,
  formatVerifyStart,
  formatVerifyVerdict,
  parseVerifyOutput,
} from "./log.js";
import { verifyOutcome } from "./result.js";
import { result } from "./test-fixtures.js";

describe("verify lines in the log", () => {
  it("mark a command's output in the text, inside the unchanged log line grammar", () => {
    const raw = formatLogLine(
      "2026-01-01T00:00:00Z",
      12,
      "stderr",
      formatVerifyOutput("test", "FAIL a.test.ts"),
    );
    expect(raw).toBe("[2026-01-01T00:00:00Z] run=12 stderr: [verify test] FAIL a.test.ts");
    const entry = parseLogLine(raw, 0);
    expect(entry).toMatchObject({ kind: "line", runId: 12, stream: "stderr" });
    expect(parseVerifyOutput(entry.kind === "line" ? entry.line : "")).toEqual({
      name: "test",
      text: "FAIL a.test.ts",
    });
  });

  it("round-trip empty lines and text that looks like a mark", () => {
    expect(formatVerifyOutput("lint", "")).toBe("[verify lint]");
    expect(parseVerifyOutput("[verify lint]")).toEqual({ name: "lint", text: "" });
    expect(parseVerifyOutput(formatVerifyOutput("a.b-c_1", "[verify x] y"))).toEqual({
      name: "a.b-c_1",
      text: "[verify x] y",
    });
  });

  it("do not take other lines for verify output", () => {
    expect(parseVerifyOutput("[verify unit tests] x")).toBeNull();
    expect(parseVerifyOutput("[verify] x")).toBeNull();
    expect(parseVerifyOutput("[car] verify test: passed in 1.0 s")).toBeNull();
    expect(parseVerifyOutput("plain output")).toBeNull();
  });

  it("say what runs and how it ended, on one line each, as [car] lines", () => {
    expect(formatVerifyStart("test", "set -e\npnpm test", 900)).toEqual({
      stream: "stdout",
      text: "[car] verify test: running `set -e ⏎ pnpm test` (time limit 900 s)",
    });
    expect(formatVerifyStart("lint", "pnpm lint", null).text).toBe("[car] verify lint: running `pnpm lint`");
    expect(formatVerifyEnd(result())).toEqual({
      stream: "stdout",
      text: "[car] verify test: passed in 1.2 s",
    });
    expect(formatVerifyEnd(result({ exit_code: 3 }))).toEqual({
      stream: "stderr",
      text: "[car] verify test: FAILED (exit code 3) after 1.2 s",
    });
    expect(formatVerifyVerdict(verifyOutcome([result(), result()], false)).text).toBe(
      "[car] verification passed (2 commands)",
    );
    expect(formatVerifyVerdict(verifyOutcome([result({ exit_code: 1 })], false))).toEqual({
      stream: "stderr",
      text: "[car] verification failed: test",
    });
    expect(formatVerifyVerdict(verifyOutcome([result()], true)).text).toBe("[car] verification aborted");
  });
});
