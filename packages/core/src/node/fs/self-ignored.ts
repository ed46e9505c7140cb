import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { CarError } from "../../errors.js";
import { isErrno, writeFileAtomic } from "./atomic.js";
import { fsError } from "./errors.js";

/**
 * IO_ERROR when `dir` is a symbolic link (`rule` says what it must be instead): a cloned repo could
 * ship one pointing anywhere, and files would then be written, read and removed there. Missing is fine.
 */
export async function refuseSymlinkedDir(dir: string, rule: string): Promise<void> {
  const st = await fsp.lstat(dir).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return null;
    throw fsError(err, dir, "inspect");
  });
  if (st?.isSymbolicLink()) {
    throw new CarError("IO_ERROR", `${dir} is a symbolic link; ${rule} (remove the link)`, {
      file: dir,
      expected: "a folder",
      found: "a symbolic link",
    });
  }
}

/**
 * Creates `dir` with a `.gitignore` of `*` in it, so the folder keeps itself out of git without an
 * edit of any tracked .gitignore (those are the user's). `why` is the file's comment line; a `dir`
 * that is a symbolic link is refused first (refuseSymlinkedDir with `rule`).
 */
export async function ensureSelfIgnoredDir(dir: string, why: string, rule: string): Promise<void> {
  await refuseSymlinkedDir(dir, rule);
  const file = join(dir, ".gitignore");
  await fsp.mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw fsError(err, dir, "create the folder");
  });
  try {
    await fsp.access(file);
    return;
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw fsError(err, file, "read");
  }
  await writeFileAtomic(file, `# Written by codex-autorunner: ${why}\n*\n`).catch((err: unknown) => {
    throw fsError(err, file, "write");
  });
}
