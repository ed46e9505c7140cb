import { promises as fsp } from "node:fs";
import { join } from "node:path";

/**
 * Private index files (`car-snapshot-<pid>-<hex>`, `-user`, git's `.lock` beside them) that a runner
 * killed mid-snapshot left in the git dir. Removed when their process is gone, or when they are over an
 * hour old (the pid was reused). One readdir of a small folder: cheap enough for every snapshot.
 */
const LEFTOVER = /^car-snapshot-(\d+)-[0-9a-f]+(?:-user)?(?:\.lock)?$/;
const MAX_AGE_MS = 60 * 60 * 1000;

/** `now` is a clock for tests. Never throws: a sweep that fails is tried again by the next snapshot. */
export async function sweepLeftovers(gitDir: string, now = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(gitDir);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const m = LEFTOVER.exec(name);
      if (!m) return;
      const file = join(gitDir, name);
      try {
        // ctime, not mtime: a private index gets the real index's (older) mtime on purpose.
        if (alive(Number(m[1])) && now - (await fsp.stat(file)).ctimeMs < MAX_AGE_MS) return;
        await fsp.rm(file, { force: true });
      } catch {
        // gone meanwhile (its own snapshot finished): nothing to do
      }
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, another user's
  }
}
