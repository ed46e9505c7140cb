import { describe, expect, it } from "vitest";
import { verifyRecordSchema } from "./record-schema.js";
import { type VerifyRecord, verifyOutcome } from "./result.js";
import { result } from "./test-fixtures.js";

describe("verifyRecordSchema", () => {
  it("reads back what a run record holds, unchanged", () => {
    const record: VerifyRecord = {
      ...verifyOutcome([result(), result({ name: "lint", exit_code: 2, output_tail: "bad" })], false),
      reopened: [{ text: "item", line: 3, added: true }],
    };
    const back = verifyRecordSchema.parse(JSON.parse(JSON.stringify(record)));
    expect(back).toEqual(record);
  });

  it("fills fields a shorter record lacks and refuses wrong types", () => {
    const back = verifyRecordSchema.parse({
      passed: false,
      commands: [{ name: "t", command: "x", exit_code: 1, duration_ms: 5, passed: false }],
    });
    expect(back).toEqual({
      passed: false,
      failed_command: null,
      aborted: false,
      commands: [
        {
          name: "t",
          command: "x",
          exit_code: 1,
          signal: null,
          timed_out: false,
          timeout_seconds: null,
          duration_ms: 5,
          passed: false,
          output_tail: "",
        },
      ],
      reopened: [],
    });
    const bad = verifyRecordSchema.safeParse({ passed: "yes" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["passed"]);
  });
});
