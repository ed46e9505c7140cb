import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { isErrno, writeFileAtomic } from "./atomic.js";
import { fsError } from "./errors.js";

/**
 * Creates `dir` with a `.gitignore` of `*` in it, so the folder keeps itself out of git without an
 * edit of any tracked .gitignore (those are the user's). `why` is the file's comment line.
 */
export async function ensureSelfIgnoredDir(dir: string, why: string): Promise<void> {
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
