import { promises as fsp } from "node:fs";
import type { SteerMessage } from "../../steer/message.js";
import { isErrno, writeFileAtomic } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import { resolveLinkTarget } from "../fs/link-target.js";
import type { CarPaths } from "../paths.js";
import { appendSteer } from "./queue.js";

const STEER_IGNORE_LINE = "steer/";

/**
 * Queue a message in a repo (what `car steer` and `POST /api/steer` do): the folder is kept out of
 * git first, so no commit, checkpoint or rollback ever carries (or deletes) a queued message.
 */
export async function queueSteer(paths: CarPaths, text: string): Promise<SteerMessage> {
  await ensureSteerIgnored(paths);
  return appendSteer(paths.steerDir, text);
}

/**
 * Repos initialised before steering existed have a `.codex-autorunner/.gitignore` without `steer/`:
 * add the line. A missing .gitignore is left missing (the user removed ours on purpose).
 */
export async function ensureSteerIgnored(paths: CarPaths): Promise<void> {
  let text: string;
  try {
    text = await fsp.readFile(paths.gitignore, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return;
    throw fsError(err, paths.gitignore, "read");
  }
  if (text.split(/\r?\n/).some((l) => l.trim() === STEER_IGNORE_LINE || l.trim() === "/steer/")) return;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  // A symlinked .gitignore stays a link: the file it points to gets the line.
  const target = await resolveLinkTarget(paths.gitignore).catch(() => paths.gitignore);
  await writeFileAtomic(target, `${text}${sep}${STEER_IGNORE_LINE}\n`).catch((err: unknown) => {
    throw fsError(err, paths.gitignore, "write");
  });
}
