import { describe, expect, it } from "vitest";
import type { RawChange } from "./changes.js";
import { ignoreRulesDiffer, planIsEmpty, planRollback, removalCandidates } from "./plan.js";

const change = (letter: string, path: string): RawChange => ({
  letter,
  path,
  from: null,
  oldMode: "100644",
  newMode: "100644",
});
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const onMain = (head: string | null) => ({ head, branch: "refs/heads/main" });
const base = {
  changes: [] as RawChange[],
  ignored: new Set<string>(),
  target: onMain(A),
  current: onMain(A),
  targetBranchNow: A,
  indexNow: C,
  indexTarget: C,
};

describe("planRollback", () => {
  it("sorts the differences into restore, remove and keep", () => {
    const changes = [
      change("A", "deleted-by-run"),
      change("D", "created"),
      change("D", "ignored/x"),
      change("M", "edited"),
      change("T", "now-a-link"),
    ];
    expect(removalCandidates(changes)).toEqual(["created", "ignored/x"]);
    const plan = planRollback({ ...base, changes, ignored: new Set(["ignored/x"]) });
    expect(plan).toEqual({
      restore: [
        { path: "deleted-by-run", was: "deleted" },
        { path: "edited", was: "modified" },
        { path: "now-a-link", was: "modified" },
      ],
      remove: ["created"],
      keep: ["ignored/x"],
      head: null,
      index: false,
    });
    expect(planIsEmpty(plan)).toBe(false);
  });

  it("is empty when nothing differs; kept paths change nothing", () => {
    expect(planIsEmpty(planRollback(base))).toBe(true);
    const keepOnly = planRollback({ ...base, changes: [change("D", "x")], ignored: new Set(["x"]) });
    expect(planIsEmpty(keepOnly)).toBe(true);
    // An index unknown then (unmerged, or no index file yet) is set back when it is known now…
    expect(planRollback({ ...base, indexTarget: null }).index).toBe(true);
    // …and left alone when there was none then and is none now (a repo where nothing was ever staged).
    expect(planIsEmpty(planRollback({ ...base, indexTarget: null, indexNow: null }))).toBe(true);
    expect(planRollback({ ...base, indexNow: B }).index).toBe(true);
  });

  it("moves the branch back over new commits, and removes it again when it had none", () => {
    expect(planRollback({ ...base, current: onMain(B), targetBranchNow: B }).head).toEqual({
      branch: "refs/heads/main",
      from: B,
      to: A,
      moveRef: true,
    });
    expect(
      planRollback({ ...base, target: onMain(null), current: onMain(B), targetBranchNow: B }).head,
    ).toEqual({
      branch: "refs/heads/main",
      from: B,
      to: null,
      moveRef: true,
    });
  });

  it("points HEAD back at the branch when the agent switched, moving that branch only if it moved", () => {
    const current = { head: B, branch: "refs/heads/agent" };
    expect(planRollback({ ...base, current, targetBranchNow: A }).head).toEqual({
      branch: "refs/heads/main",
      from: A,
      to: A,
      moveRef: false,
      leaveBranch: "refs/heads/agent",
    });
    expect(planRollback({ ...base, current: { head: B, branch: null }, targetBranchNow: C }).head).toEqual({
      branch: "refs/heads/main",
      from: C,
      to: A,
      moveRef: true,
      leaveBranch: null,
    });
  });

  it("detaches HEAD again when it was detached", () => {
    const target = { head: A, branch: null };
    expect(planRollback({ ...base, target, current: { head: A, branch: null } }).head).toBeNull();
    expect(planRollback({ ...base, target, current: onMain(B) }).head).toEqual({
      branch: null,
      from: B,
      to: A,
      moveRef: true,
      leaveBranch: "refs/heads/main",
    });
  });
});

describe("ignoreRulesDiffer", () => {
  it("is true only when a .gitignore is among the differences", () => {
    expect(ignoreRulesDiffer([change("M", "src/a.ts"), change("A", "not.gitignore")])).toBe(false);
    expect(ignoreRulesDiffer([change("M", ".gitignore")])).toBe(true);
    expect(ignoreRulesDiffer([change("D", "pkg/.gitignore")])).toBe(true);
  });
});
