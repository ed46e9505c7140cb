import { CarError } from "../../errors.js";

/**
 * A file-system failure as the user should see it: IO_ERROR naming the file, what we were doing and
 * what is wrong in words (a folder where a file belongs, a full disk, a permission), instead of a bare
 * "EISDIR: illegal operation on a directory, read" with no path. CarErrors pass through unchanged, so
 * wrapping an outer call twice is harmless. ENOENT passes through too: a missing file means something
 * different at each call site (initial state, DOC_MISSING, a removed folder to recreate).
 */

const WHY: Record<string, string> = {
  EISDIR: "it is a folder, not a file; move it out of the way",
  ENOTDIR: "a folder on its path is a file; move that file out of the way",
  EEXIST: "a file is in the way where a folder belongs; move it out of the way",
  ENOSPC: "no space left on the device; free some space",
  EDQUOT: "the disk quota is exhausted; free some space",
  EACCES: "permission denied; check the owner and mode of the file and its folder",
  EPERM: "operation not permitted; check the owner and mode of the file and its folder",
  EROFS: "the file system is read-only",
  EMFILE: "too many open files in this process",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many levels of symbolic links",
  EIO: "an input/output error from the device",
};

/**
 * `err` as `IO_ERROR` with `file` (as the user would type it: repo-relative when possible) and
 * `action` ("read", "write", "create the folder") in the message; details carry file, path and errno.
 */
export function fsError(err: unknown, file: string, action: string, path: string = file): unknown {
  if (err instanceof CarError) return err;
  const code = typeof err === "object" && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  if (typeof code !== "string" || code === "ENOENT") return err;
  const why = WHY[code] ?? (err as Error).message;
  return new CarError(
    "IO_ERROR",
    `Could not ${action} ${file}: ${why} (${code}).`,
    { file, path, errno: code },
    { cause: err },
  );
}
