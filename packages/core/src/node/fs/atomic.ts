import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replace `path` with `data` so that a reader (or a crash) sees either the old or the new content,
 * never a torn file: write a unique temp file in the same folder (same filesystem, so rename is
 * atomic), fsync it, rename over the target, then fsync the folder so the rename itself is durable.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  // Keep the mode of the file being replaced (a user's doc may be 0600), unless one is given.
  const mode =
    options.mode ??
    (await fsp.stat(path).then(
      (st) => st.mode & 0o7777,
      () => 0o644,
    ));
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, "wx", mode);
    // An explicit mode is exact (open() applies the umask, which could only narrow it, but be sure).
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, "r");
    await handle.sync();
  } catch {
    // Some filesystems (and Windows) refuse fsync on a directory; the rename already happened.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The file's text, or null when it does not exist (other errors propagate). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw err;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}
