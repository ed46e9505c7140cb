import { describe, expect, it } from "vitest";
import type { ChangedFile } from "./changes.js";
import { describePatchCut } from "./patch.js";
import { checkpointRecord, RECORD_MAX_FILES, runChangesRecord } from "./record.js";
import { runCheckpointsSchema } from "./record-schema.js";

const file = (i: number): ChangedFile => ({
  path: `f${i}.ts`,
  status: "modified",
  additions: 2,
  deletions: 1,
  binary: false,
});
const SHA = "e".repeat(40);

describe("run record checkpoints", () => {
  it("keeps every total but at most RECORD_MAX_FILES files", () => {
    const files = Array.from({ length: RECORD_MAX_FILES + 5 }, (_, i) => file(i));
    const changes = runChangesRecord(files);
    expect(changes.files).toHaveLength(RECORD_MAX_FILES);
    expect(changes).toMatchObject({ files_omitted: 5, files_total: RECORD_MAX_FILES + 5 });
    expect(changes.additions).toBe(2 * (RECORD_MAX_FILES + 5));
    expect(runChangesRecord([file(1)], 0)).toMatchObject({ files: [], files_omitted: 1, deletions: 1 });
  });

  it("parses what it writes, and an old record without the field", () => {
    const record = {
      before: checkpointRecord("refs/car/runs/1/before", { commit: SHA, head: null }),
      after: checkpointRecord("refs/car/runs/1/after", { commit: SHA, head: SHA }),
      changes: runChangesRecord([file(1), { ...file(2), status: "renamed", from: "old.ts" }]),
    };
    expect(runCheckpointsSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
    expect(runCheckpointsSchema.parse({})).toEqual({ before: null, after: null, changes: null });
    expect(runCheckpointsSchema.safeParse({ before: { ref: "x", commit: "nope", head: null } }).success).toBe(
      false,
    );
  });
});

describe("describePatchCut", () => {
  it("names the last file reached and the files not shown", () => {
    const files = [{ path: "a" }, { path: "b" }, { path: "c" }];
    expect(describePatchCut("diff --git a/a b/a\n+x\ndiff --git a/b b/b\n", 40, files)).toEqual({
      shown_bytes: 40,
      last_file: "b",
      omitted_files: ["c"],
    });
    // "diff --git " inside a line of content is not a file header.
    expect(describePatchCut("diff --git a/a b/a\n+ diff --git x\n", 30, files).omitted_files).toEqual([
      "b",
      "c",
    ]);
    expect(describePatchCut("", 0, files)).toEqual({
      shown_bytes: 0,
      last_file: null,
      omitted_files: ["a", "b", "c"],
    });
  });
});
