import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { isErrno, writeFileAtomic } from "../fs/atomic.js";
import { readBoundedFile } from "../fs/bounded-read.js";
import { fsError } from "../fs/errors.js";
import { ensureSelfIgnoredDir } from "../fs/self-ignored.js";
import type { CarPaths } from "../paths.js";

/**
 * A start a hub queued behind its `max_concurrent_runs` cap lives in the repo itself
 * (`.codex-autorunner/hub/queued.json`), so `car status`, the repo's own API and a restarted hub all
 * see it. The hub writes it; the runner deletes it once it holds the lock (any start satisfies it);
 * `car stop` / the API's stop cancel it. No zod here: getStatus (the lite path) reads it.
 */
export interface QueuedStart {
  since: string;
  once: boolean;
}

/** `.codex-autorunner/hub/` */
export function repoHubDir(paths: CarPaths): string {
  return join(paths.dir, "hub");
}

const QUEUED_MAX_BYTES = 4096;

export function queuedStartPath(paths: CarPaths): string {
  return join(repoHubDir(paths), "queued.json");
}

/**
 * The queued start, or null: none, or a file that is not one (ignored; the runner removes it). Read
 * without following links or blocking, and bounded: `car status` must not hang on a planted FIFO.
 */
export async function readQueuedStart(paths: CarPaths): Promise<QueuedStart | null> {
  const read = await readBoundedFile(queuedStartPath(paths), QUEUED_MAX_BYTES).catch(() => null);
  if (read === null || !("text" in read)) return null;
  try {
    const value = JSON.parse(read.text) as unknown;
    if (typeof value !== "object" || value === null) return null;
    const { since, once } = value as Record<string, unknown>;
    return typeof since === "string" && typeof once === "boolean" ? { since, once } : null;
  } catch {
    return null;
  }
}

/** Queue a start (the folder ignores itself in git first). A symlinked `hub/` folder is refused. */
export async function writeQueuedStart(paths: CarPaths, start: QueuedStart): Promise<void> {
  const dir = repoHubDir(paths);
  await ensureSelfIgnoredDir(
    dir,
    "a hub's queued start stays out of git.",
    "the hub's folder must be a real folder",
  );
  const file = queuedStartPath(paths);
  await writeFileAtomic(file, `${JSON.stringify({ since: start.since, once: start.once })}\n`).catch(
    (err: unknown) => {
      throw fsError(err, file, "write");
    },
  );
}

/** Remove the queued start; true when there was one. */
export async function clearQueuedStart(paths: CarPaths): Promise<boolean> {
  const file = queuedStartPath(paths);
  try {
    await fsp.unlink(file);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw fsError(err, file, "remove");
  }
}
