import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { readDocText } from "./doc-text.js";

const display = { file: ".codex-autorunner/TODO.md", key: "docs.todo" };
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(content: string | Buffer): string {
  dir = mkdtempSync(join(tmpdir(), "car-doc-text-"));
  const p = join(dir, "TODO.md");
  writeFileSync(p, content);
  return p;
}

async function error(p: string, max = 1024) {
  return readDocText(p, display, max).then(
    () => {
      throw new Error("expected an error");
    },
    (e: unknown) => e,
  );
}

describe("readDocText", () => {
  it("returns UTF-8 text byte for byte (BOM and CRLF kept) and null for a missing file", async () => {
    const p = file("\uFEFF# TODO\r\n- [ ] é\r\n");
    expect(await readDocText(p, display, 1024)).toBe("\uFEFF# TODO\r\n- [ ] é\r\n");
    expect(await readDocText(join(dir, "nope.md"), display, 1024)).toBeNull();
  });

  it("refuses a file over the limit with DOC_TOO_LARGE naming the file, size and config key", async () => {
    const e = await error(file("x".repeat(2000)), 1024);
    expect(isCarError(e, "DOC_TOO_LARGE")).toBe(true);
    if (!isCarError(e)) return;
    expect(e.message).toContain(".codex-autorunner/TODO.md is 2000 bytes");
    expect(e.message).toContain("prompt.max_doc_bytes");
    expect(e.details).toMatchObject({ file: display.file, found: "2000 bytes" });
  });

  it("refuses NUL bytes and invalid UTF-8 with DOC_NOT_TEXT", async () => {
    const nul = await error(file(Buffer.from([0x2d, 0x20, 0x5b, 0x20, 0x5d, 0x00, 0x41])));
    expect(isCarError(nul, "DOC_NOT_TEXT")).toBe(true);
    expect((nul as Error).message).toContain("NUL byte at offset 5");
    rmSync(dir, { recursive: true, force: true });
    const bad = await error(file(Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a])));
    expect(isCarError(bad, "DOC_NOT_TEXT")).toBe(true);
    expect((bad as Error).message).toContain("invalid UTF-8");
  });

  it("names the doc when it is a folder (IO_ERROR, not a bare EISDIR)", async () => {
    dir = mkdtempSync(join(tmpdir(), "car-doc-text-"));
    const p = join(dir, "TODO.md");
    mkdirSync(p);
    const e = await error(p);
    expect(isCarError(e, "IO_ERROR")).toBe(true);
    expect((e as Error).message).toBe(
      "Could not read .codex-autorunner/TODO.md: it is a folder, not a file; move it out of the way (EISDIR).",
    );
  });
});
