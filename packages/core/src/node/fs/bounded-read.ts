import { constants, promises as fsp, type Stats } from "node:fs";
import { CarError } from "../../errors.js";
import { isErrno } from "./atomic.js";
import { fsError } from "./errors.js";

/** A small file's text, or why it was not read. */
export type BoundedRead =
  | { text: string }
  | { problem: "link" | "changed" }
  | { problem: "not_file"; kind: string }
  | { problem: "too_large"; size: number };

/**
 * The text of a small file in a folder others can write (the agent, another user): a planted symlink
 * (to /etc/passwd, /dev/zero), a FIFO or a huge file must neither be followed, block, nor fill memory.
 * So: no symlinks followed, non-blocking open, regular files only, at most `maxBytes`. Null when
 * missing; other errors are IO_ERROR naming the file. `followLinks` is for the user's own files that
 * may be links into a dotfiles repo (config.yml): the link is followed, the rest still holds.
 */
export async function readBoundedFile(
  path: string,
  maxBytes: number,
  options: { followLinks?: boolean } = {},
): Promise<BoundedRead | null> {
  let handle: fsp.FileHandle;
  try {
    // O_NOFOLLOW/O_NONBLOCK are 0 where the platform lacks them (Windows): a plain read-only open.
    const noFollow = options.followLinks ? 0 : (constants.O_NOFOLLOW ?? 0);
    handle = await fsp.open(path, constants.O_RDONLY | noFollow | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    if (isErrno(err, "ELOOP")) return { problem: "link" };
    throw fsError(err, path, "read");
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { problem: "not_file", kind: kindOf(st) };
    if (st.size > maxBytes) return { problem: "too_large", size: st.size };
    // These files are written aside and renamed in: one that grows while read is not one of ours.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    if (n > st.size) return { problem: "changed" };
    return { text: buf.subarray(0, n).toString("utf8") };
  } catch (err) {
    throw fsError(err, path, "read");
  } finally {
    await handle.close();
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * A settings file's text (config.yml, hub.yml), or null when missing: bounded and non-blocking as
 * above, so a FIFO or /dev/zero in its place is CONFIG_INVALID naming `file` (as the user would type
 * it) and what was expected (the hub shows such a repo as config_error), never a hang or a full memory.
 */
export async function readSettingsFile(
  path: string,
  file: string,
  options: { maxBytes: number; followLinks: boolean },
): Promise<string | null> {
  const read = await readBoundedFile(path, options.maxBytes, { followLinks: options.followLinks });
  if (read === null || "text" in read) return read?.text ?? null;
  const mib = options.maxBytes / 1_048_576;
  const size = Number.isInteger(mib) ? `${mib} MiB` : `${options.maxBytes} bytes`;
  const expected = `a regular file of at most ${size}`;
  const found =
    read.problem === "link"
      ? "a symbolic link"
      : read.problem === "not_file"
        ? read.kind
        : read.problem === "too_large"
          ? `${read.size} bytes`
          : "a file that changed while it was read";
  throw new CarError("CONFIG_INVALID", `${file}: expected ${expected}, found ${found}`, {
    file,
    path,
    expected,
    found,
  });
}
