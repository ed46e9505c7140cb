import { describe, expect, it } from "vitest";
import { CarError, isCarError } from "../../errors.js";
import { fsError } from "./errors.js";

const errno = (code: string, message = `${code}: something, write`) =>
  Object.assign(new Error(message), { code, errno: -1, syscall: "write" });

describe("fsError", () => {
  it("turns a full disk into IO_ERROR naming the file and what was being done", () => {
    const err = fsError(
      errno("ENOSPC"),
      ".codex-autorunner/state.json",
      "write",
      "/r/.codex-autorunner/state.json",
    );
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    const e = err as CarError;
    expect(e.message).toBe(
      "Could not write .codex-autorunner/state.json: no space left on the device; free some space (ENOSPC).",
    );
    expect(e.details).toMatchObject({
      file: ".codex-autorunner/state.json",
      path: "/r/.codex-autorunner/state.json",
      errno: "ENOSPC",
    });
    expect(e.cause).toBeInstanceOf(Error);
  });

  it("says what is wrong for a folder where a file belongs, and the other way round", () => {
    expect((fsError(errno("EISDIR"), "a/state.json", "read") as Error).message).toMatch(
      /^Could not read a\/state\.json: it is a folder, not a file/,
    );
    expect((fsError(errno("EEXIST"), "a/runs", "create the folder") as Error).message).toMatch(
      /^Could not create the folder a\/runs: a file is in the way where a folder belongs/,
    );
    expect((fsError(errno("EACCES"), "a/lock", "create") as Error).message).toContain("permission denied");
  });

  it("keeps an unknown errno's own text, and passes ENOENT, CarErrors and non-errno values through", () => {
    expect((fsError(errno("EWEIRD", "EWEIRD: odd"), "f", "read") as Error).message).toBe(
      "Could not read f: EWEIRD: odd (EWEIRD).",
    );
    const missing = errno("ENOENT");
    expect(fsError(missing, "f", "read")).toBe(missing);
    const car = new CarError("STATE_CORRUPT", "bad");
    expect(fsError(car, "f", "read")).toBe(car);
    const plain = new TypeError("x");
    expect(fsError(plain, "f", "read")).toBe(plain);
  });
});
