import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { CAR_DIR, carPaths } from "../paths.js";
import { loadConfigLenient } from "../status.js";
import { repoHubDir } from "./queued.js";

/**
 * The folders whose changes can change a repo's card, each watched once (fs.watch, no polling):
 * `.codex-autorunner/` and its `hub/`, and the TODO's folder when the TODO lives elsewhere; before
 * `.codex-autorunner/` exists, the repo folder itself (for its creation).
 */
export interface WatchTarget {
  dir: string;
  /** Only this entry's events count (null: every entry but the noise below). */
  only: string | null;
  /** The folder's inode: a folder removed and made again is watched again. */
  ino: number;
}

/** Written all the time during a run, or irrelevant to the card: their events are ignored. */
const NOISE = new Set(["codex-autorunner.log", "codex-autorunner.log.idx", "runner.out", "chats"]);

/** An event that may change the card. */
export function relevantEvent(target: WatchTarget, filename: string | null): boolean {
  if (filename === null) return true;
  if (target.only !== null) return filename === target.only;
  return !NOISE.has(filename) && !filename.endsWith(".tmp");
}

/** The folder's inode, or null when it is not a folder. */
const dirIno = (p: string) =>
  fsp.stat(p).then(
    (s) => (s.isDirectory() ? s.ino : null),
    () => null,
  );

/** What to watch in the repo now (a few stats; config.yml's parse is cached by its stat). */
export async function watchTargets(root: string): Promise<WatchTarget[]> {
  const paths = carPaths(root);
  const carIno = await dirIno(paths.dir);
  if (carIno === null) {
    const rootIno = await dirIno(root);
    return rootIno === null ? [] : [{ dir: root, only: CAR_DIR, ino: rootIno }];
  }
  const targets: WatchTarget[] = [{ dir: paths.dir, only: null, ino: carIno }];
  const hubIno = await dirIno(repoHubDir(paths));
  if (hubIno !== null) targets.push({ dir: repoHubDir(paths), only: null, ino: hubIno });
  const { config } = await loadConfigLenient(root).catch(() => ({ config: null }));
  if (config) {
    const todo = carPaths(root, config).todo;
    const dir = dirname(todo);
    const ino = dir === paths.dir ? null : await dirIno(dir);
    if (ino !== null) targets.push({ dir, only: basename(todo), ino });
  }
  return targets;
}

/** Open watchers for the targets; `onEvent(filename)` for relevant events, `onError` when one fails. */
export function openWatchers(
  targets: WatchTarget[],
  onEvent: (filename: string | null) => void,
  onError: () => void,
): FSWatcher[] {
  const out: FSWatcher[] = [];
  for (const target of targets) {
    try {
      const w = watch(target.dir, (_type, filename) => {
        const name = filename === null ? null : String(filename);
        if (relevantEvent(target, name)) onEvent(name);
      });
      w.on("error", onError);
      out.push(w);
    } catch {
      onError();
    }
  }
  return out;
}
