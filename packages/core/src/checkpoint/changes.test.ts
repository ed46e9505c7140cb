import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import { changedFiles, parseRawNumstat, totalLines } from "./changes.js";

const Z = "0000000000000000000000000000000000000000";
const S = "1111111111111111111111111111111111111111";
const raw = (modes: string, letter: string, ...paths: string[]) =>
  `:${modes} ${Z} ${S} ${letter}\0${paths.join("\0")}\0`;

describe("changedFiles", () => {
  it("joins raw records and numstat records of one `--raw --numstat -z` output", () => {
    const out =
      raw("000000 100644", "A", "new file.txt") +
      raw("100644 000000", "D", "old.txt") +
      raw("100644 100755", "M", "run.sh") +
      raw("100644 120000", "T", "link") +
      raw("100644 100644", "R087", "a/from.ts", "b/to.ts") +
      raw("100644 100644", "M", "pic.png") +
      "3\t0\tnew file.txt\0" +
      "0\t7\told.txt\0" +
      "0\t0\trun.sh\0" +
      "1\t1\tlink\0" +
      "2\t1\t\0a/from.ts\0b/to.ts\0" +
      "-\t-\tpic.png\0";
    expect(changedFiles(out)).toEqual([
      { path: "new file.txt", status: "added", additions: 3, deletions: 0, binary: false },
      { path: "old.txt", status: "deleted", additions: 0, deletions: 7, binary: false },
      { path: "run.sh", status: "modified", additions: 0, deletions: 0, binary: false },
      { path: "link", status: "modified", additions: 1, deletions: 1, binary: false },
      { path: "b/to.ts", status: "renamed", from: "a/from.ts", additions: 2, deletions: 1, binary: false },
      { path: "pic.png", status: "modified", additions: 0, deletions: 0, binary: true },
    ]);
    expect(totalLines(changedFiles(out))).toEqual({ additions: 6, deletions: 9 });
    expect(changedFiles("")).toEqual([]);
  });

  it("keeps names with tabs, newlines and a leading colon whole", () => {
    const odd = ["tab\there", "line\nbreak", ":colon"];
    const out =
      odd.map((p) => raw("000000 100644", "A", p)).join("") + odd.map((p) => `1\t0\t${p}\0`).join("");
    expect(changedFiles(out).map((f) => [f.path, f.additions])).toEqual(odd.map((p) => [p, 1]));
  });

  it("keeps the modes for the rollback plan", () => {
    expect(parseRawNumstat(raw("100644 100755", "M", "x")).raw).toEqual([
      { letter: "M", path: "x", from: null, oldMode: "100644", newMode: "100755" },
    ]);
  });

  it("rejects output it does not understand instead of guessing", () => {
    for (const bad of ["garbage\0", `:100644 100644 ${Z} ${S} M\0`, raw("100644 100644", "X", "x")]) {
      expect(() => changedFiles(bad)).toThrow(/Unexpected git diff output/);
    }
    expect(carError(() => changedFiles("nope\0")).code).toBe("INTERNAL");
  });
});
