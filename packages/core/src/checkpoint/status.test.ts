import { describe, expect, it } from "vitest";
import { parseStatusChanges, quoteGitPath } from "./status.js";

const Z = (...records: string[]) => records.map((r) => `${r}\0`).join("");
const H = "a".repeat(40);
const I = "b".repeat(40);

describe("parseStatusChanges", () => {
  it("turns status records into tree changes, leaving out the car folder", () => {
    const out = Z(
      `# branch.oid ${H}`,
      "# branch.head main",
      `1 .M N... 100644 100644 100644 ${H} ${H} src/a file.ts`,
      `1 M. N... 100644 100755 100755 ${H} ${I} staged.sh`,
      `1 .D N... 100644 100644 000000 ${H} ${H} gone.txt`,
      `1 D. N... 100644 000000 000000 ${H} ${"0".repeat(40)} unstaged-rm.txt`,
      `1 AD N... 000000 100644 000000 ${"0".repeat(40)} ${I} added-then-gone.txt`,
      `1 .M N... 100644 100644 100644 ${H} ${H} .codex-autorunner/config.yml`,
      "? new/untracked.txt",
      "? .codex-autorunner/state.json",
    );
    expect(parseStatusChanges(out, ".codex-autorunner")).toEqual({
      changes: [
        { kind: "file", path: "src/a file.ts", mode: "100644", oid: H },
        { kind: "staged", path: "staged.sh", mode: "100755", oid: I },
        { kind: "delete", path: "gone.txt" },
        { kind: "delete", path: "unstaged-rm.txt" },
        { kind: "delete", path: "added-then-gone.txt" },
        { kind: "untracked", path: "new/untracked.txt" },
      ],
      head: H,
      staged: true,
    });
    // A folder named like it elsewhere is the user's.
    expect(
      parseStatusChanges(Z("# branch.oid (initial)", "? app/.codex-autorunner/x"), "sub/.codex-autorunner"),
    ).toEqual({
      changes: [{ kind: "untracked", path: "app/.codex-autorunner/x" }],
      head: null,
      staged: false,
    });
    // Staged only inside the car folder: still the user's index differing from HEAD.
    const carStaged = Z(`1 M. N... 100644 100644 100644 ${H} ${I} .codex-autorunner/config.yml`);
    expect(parseStatusChanges(carStaged, ".codex-autorunner")).toEqual({
      changes: [],
      head: null,
      staged: true,
    });
  });

  it("sends what status cannot state exactly the slow way", () => {
    const sub = Z(`1 .M SC.. 160000 160000 160000 ${H} ${H} lib`);
    expect(parseStatusChanges(sub, ".codex-autorunner")).toEqual({ unsupported: "submodule lib" });
    const conflict = Z(`u UU N... 100644 100644 100644 100644 ${H} ${H} ${H} x.txt`);
    expect(parseStatusChanges(conflict, ".codex-autorunner")).toEqual({ unsupported: "unmerged entries" });
    expect(parseStatusChanges(Z("? nested/"), ".codex-autorunner")).toEqual({
      unsupported: "nested repository nested/",
    });
    expect(parseStatusChanges(Z("1 .M N..."), ".codex-autorunner")).toEqual({
      unsupported: "unexpected status output",
    });
  });
});

describe("quoteGitPath", () => {
  it("quotes only what line-based git input cannot take as it is", () => {
    expect(quoteGitPath("a b/c.txt")).toBe("a b/c.txt");
    expect(quoteGitPath('"start')).toBe('"\\"start"');
    expect(quoteGitPath("new\nline\ttab\\")).toBe('"new\\nline\\011tab\\\\"');
    expect(quoteGitPath("ends in cr\r")).toBe('"ends in cr\\015"');
  });
});
