import { describe, expect, it } from "vitest";
import { formatCheckpointMessage, parseCheckpointCommit, sameCheckpointState } from "./commit.js";

const H = "a".repeat(40);
const T = "b".repeat(40);
const I = "c".repeat(40);
const commitText = (message: string) =>
  `tree ${T}\nparent ${H}\nauthor codex-autorunner <codex-autorunner@localhost> 1767323045 +0000\n` +
  `committer codex-autorunner <codex-autorunner@localhost> 1767323045 +0000\n\n${message}`;

describe("checkpoint commit", () => {
  it("round-trips what it records", () => {
    const meta = { label: "run 3 before", head: H, branch: "refs/heads/main", indexTree: I };
    expect(parseCheckpointCommit("d".repeat(40), commitText(formatCheckpointMessage(meta)))).toEqual({
      ...meta,
      commit: "d".repeat(40),
      tree: T,
      takenAt: "2026-01-02T03:04:05Z",
    });
  });

  it("records none for no HEAD, a detached HEAD and an unknown index", () => {
    const meta = { label: "run 1 before", head: null, branch: null, indexTree: null };
    const text = formatCheckpointMessage(meta);
    expect(text).toContain("Car-Head: none\nCar-Branch: none\nCar-Index: none\n");
    expect(parseCheckpointCommit("d".repeat(40), commitText(text))).toMatchObject(meta);
  });

  it("is null for a commit that is not a checkpoint", () => {
    expect(parseCheckpointCommit("d".repeat(40), commitText("an ordinary commit\n"))).toBeNull();
    expect(parseCheckpointCommit("d".repeat(40), "garbage")).toBeNull();
  });
});

describe("sameCheckpointState", () => {
  it("compares files, staged content and HEAD", () => {
    const a = { tree: T, indexTree: I, head: H };
    expect(sameCheckpointState(a, { ...a })).toBe(true);
    expect(sameCheckpointState(a, { ...a, tree: I })).toBe(false);
    expect(sameCheckpointState(a, { ...a, indexTree: null })).toBe(false);
    expect(sameCheckpointState(a, { ...a, head: null })).toBe(false);
  });
});
