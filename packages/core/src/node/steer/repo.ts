import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { SteerMessage } from "../../steer/message.js";
import { isErrno, writeFileAtomic } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import type { CarPaths } from "../paths.js";
import { appendSteer } from "./queue.js";
import { checkSteerDir } from "./scan.js";

/** The steer folder ignores itself: nothing tracked (the user's .gitignore files) is ever edited. */
const SELF_IGNORE = "# Written by codex-autorunner: steering messages stay out of git.\n*\n";

/**
 * Queue a message in a repo (what `car steer` and `POST /api/steer` do): the folder is kept out of
 * git first, so no commit, checkpoint or rollback ever carries (or deletes) a queued message.
 */
export async function queueSteer(paths: CarPaths, text: string): Promise<SteerMessage> {
  await ensureSteerIgnored(paths);
  return appendSteer(paths.steerDir, text);
}

/**
 * Creates the steer folder with a `.gitignore` of `*` in it (repos initialised before steering
 * existed have no `steer/` line in `.codex-autorunner/.gitignore`, and a tracked file is the user's).
 */
export async function ensureSteerIgnored(paths: CarPaths): Promise<void> {
  const file = join(paths.steerDir, ".gitignore");
  await checkSteerDir(paths.steerDir);
  await fsp.mkdir(paths.steerDir, { recursive: true }).catch((err: unknown) => {
    throw fsError(err, paths.steerDir, "create the folder");
  });
  try {
    await fsp.access(file);
    return;
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw fsError(err, file, "read");
  }
  await writeFileAtomic(file, SELF_IGNORE).catch((err: unknown) => {
    throw fsError(err, file, "write");
  });
}
