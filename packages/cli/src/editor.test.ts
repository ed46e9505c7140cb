import { describe, expect, it } from "vitest";
import { editorCommand, splitCommand } from "./editor.js";
import { EXIT, exitCodeForError, exitCodeForStop, UsageError } from "./exit-codes.js";

describe("splitCommand", () => {
  it("splits on whitespace and honours quotes and backslashes", () => {
    expect(splitCommand("code --wait")).toEqual(["code", "--wait"]);
    expect(splitCommand("  vim  ")).toEqual(["vim"]);
    expect(splitCommand('"/Applications/My Editor/bin/ed" -w')).toEqual([
      "/Applications/My Editor/bin/ed",
      "-w",
    ]);
    expect(splitCommand("'/a b/c' 'it''s'")).toEqual(["/a b/c", "its"]);
    expect(splitCommand('emacs "say \\"hi\\""')).toEqual(["emacs", 'say "hi"']);
    expect(splitCommand("my\\ editor -x")).toEqual(["my editor", "-x"]);
    expect(splitCommand('ed ""')).toEqual(["ed", ""]);
  });

  it("rejects an unterminated quote", () => {
    expect(() => splitCommand('"/bin/ed -w')).toThrow(/unterminated/);
  });

  it("prefers $VISUAL, then $EDITOR, then vi", () => {
    expect(editorCommand({ VISUAL: "a -b", EDITOR: "c" }).words).toEqual(["a", "-b"]);
    expect(editorCommand({ VISUAL: " ", EDITOR: "c" }).words).toEqual(["c"]);
    expect(editorCommand({}).words).toEqual(["vi"]);
  });
});

describe("exit codes", () => {
  it("maps loop stop reasons", () => {
    expect(exitCodeForStop("todo_done")).toBe(0);
    expect(exitCodeForStop("stop_requested")).toBe(0);
    expect(exitCodeForStop("run_limit")).toBe(0);
    expect(exitCodeForStop("agent_failed")).toBe(1);
    expect(exitCodeForStop("no_progress")).toBe(1);
    expect(exitCodeForStop("aborted")).toBe(EXIT.INTERRUPTED);
  });

  it("maps errors: usage → 2, INVALID_ARGUMENT → 2, other CarErrors and unknown errors → 1", () => {
    const carError = (code: string) => Object.assign(new Error("x"), { name: "CarError", code });
    expect(exitCodeForError(new UsageError("bad"))).toBe(2);
    expect(exitCodeForError(carError("INVALID_ARGUMENT"))).toBe(2);
    expect(exitCodeForError(carError("LOCK_HELD"))).toBe(1);
    expect(exitCodeForError(new Error("boom"))).toBe(1);
  });
});
