import { promises as fsp } from "node:fs";
import { CarError } from "../errors.js";
import { isErrno } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";

/**
 * Reads a doc that goes into the agent's prompt, refusing what would silently do harm: a file over
 * `maxBytes` (checked before reading, so a 50 MB TODO never lands in memory whole) and a file that is
 * not UTF-8 text (NUL bytes or invalid UTF-8: a binary TODO would otherwise parse as "no items left"
 * and end the loop as if the work were done). Returns null when the file does not exist.
 */
export async function readDocText(
  absPath: string,
  display: { file: string; key: string },
  maxBytes: number,
): Promise<string | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(absPath, "r");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw fsError(err, display.file, "read", absPath);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      // A folder opens fine; say so before its size is mistaken for a too-large doc.
      const eisdir = Object.assign(new Error(`EISDIR: ${absPath}`), { code: "EISDIR" });
      throw fsError(eisdir, display.file, "read", absPath);
    }
    const { size } = st;
    if (size > maxBytes) {
      throw new CarError(
        "DOC_TOO_LARGE",
        `${display.file} is ${size} bytes, over the ${maxBytes}-byte limit for a doc in the prompt ` +
          "(prompt.max_doc_bytes in .codex-autorunner/config.yml); trim it or raise the limit.",
        {
          file: display.file,
          key: display.key,
          expected: `at most ${maxBytes} bytes`,
          found: `${size} bytes`,
        },
      );
    }
    const bytes = await handle.readFile().catch((err: unknown) => {
      throw fsError(err, display.file, "read", absPath);
    });
    const nul = bytes.indexOf(0);
    let text: string | null = null;
    if (nul === -1) {
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        text = null;
      }
    }
    if (text === null) {
      throw new CarError(
        "DOC_NOT_TEXT",
        `${display.file} is not UTF-8 text (${nul !== -1 ? `a NUL byte at offset ${nul}` : "invalid UTF-8"}); ` +
          "the agent's docs must be markdown. Restore it (e.g. `git checkout`) or fix the path in config.",
        { file: display.file, key: display.key, expected: "UTF-8 text", found: "binary data" },
      );
    }
    return text;
  } finally {
    await handle.close();
  }
}
