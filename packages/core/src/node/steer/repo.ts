import type { SteerMessage } from "../../steer/message.js";
import { ensureSelfIgnoredDir } from "../fs/self-ignored.js";
import type { CarPaths } from "../paths.js";
import { appendSteer } from "./queue.js";
import { STEER_DIR_RULE } from "./scan.js";

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
  await ensureSelfIgnoredDir(paths.steerDir, "steering messages stay out of git.", STEER_DIR_RULE);
}
