import { join, resolve } from "node:path";
import { ensureSelfIgnoredDir } from "../fs/self-ignored.js";

/** The hub's own folder under its root: kept out of git by its own `.gitignore`. */
export const HUB_DIR = ".car-hub";
export const HUB_MANIFEST = "hub.yml";

export interface HubPaths {
  root: string;
  /** `<root>/hub.yml` (optional). */
  manifest: string;
  /** `<root>/.car-hub/` */
  dir: string;
  gitignore: string;
  /** The generated token of `car hub serve` (0600), when none is configured. */
  serverToken: string;
}

export function hubPaths(root: string): HubPaths {
  const abs = resolve(root);
  const dir = join(abs, HUB_DIR);
  return {
    root: abs,
    manifest: join(abs, HUB_MANIFEST),
    dir,
    gitignore: join(dir, ".gitignore"),
    serverToken: join(dir, "server-token"),
  };
}

/**
 * Creates `.car-hub/` with its `.gitignore` (before anything, e.g. the token, is written there); a
 * `.car-hub` that is a symbolic link is refused, so the token is never written where it points.
 */
export async function ensureHubDir(paths: HubPaths): Promise<void> {
  await ensureSelfIgnoredDir(
    paths.dir,
    "the hub's own files stay out of git.",
    "the hub's own folder must be a real folder under its root",
  );
}
