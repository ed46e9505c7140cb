import { constants, promises as fsp } from "node:fs";
import { isErrno } from "./atomic.js";
import { fsError } from "./errors.js";

/** A small file's text, or why it was not read. */
export type BoundedRead =
  | { text: string }
  | { problem: "link" | "not_file" | "changed" }
  | { problem: "too_large"; size: number };

/**
 * The text of a small file in a folder others can write (the agent, another user): a planted symlink
 * (to /etc/passwd, /dev/zero), a FIFO or a huge file must neither be followed, block, nor fill memory.
 * So: no symlinks followed, non-blocking open, regular files only, at most `maxBytes`. Null when
 * missing; other errors are IO_ERROR naming the file.
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<BoundedRead | null> {
  let handle: fsp.FileHandle;
  try {
    // O_NOFOLLOW/O_NONBLOCK are 0 where the platform lacks them (Windows): a plain read-only open.
    handle = await fsp.open(
      path,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    if (isErrno(err, "ELOOP")) return { problem: "link" };
    throw fsError(err, path, "read");
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { problem: "not_file" };
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
