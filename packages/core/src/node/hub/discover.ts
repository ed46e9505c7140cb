import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { CAR_DIR } from "../paths.js";

/** Folders discovery never enters: dependency trees (dot-folders are skipped by name). */
const SKIP = new Set(["node_modules"]);

async function exists(path: string): Promise<boolean> {
  return fsp.lstat(path).then(
    () => true,
    () => false,
  );
}

/** A folder the hub discovers: a git repo (`.git` folder or file) with `.codex-autorunner/config.yml`. */
export async function isDiscoverableRepo(dir: string): Promise<boolean> {
  return (await exists(join(dir, ".git"))) && (await exists(join(dir, CAR_DIR, "config.yml")));
}

/**
 * The initialised git repos under `root`, at most `depth` levels down (the root's children are level
 * 1; 0 = none), sorted. Symbolic links are not followed, dot-folders and node_modules are skipped, and
 * a found repo is not entered. Unreadable folders are skipped.
 */
export async function discoverRepos(root: string, depth: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const children = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".") && !SKIP.has(e.name));
    await Promise.all(
      children.map(async (e) => {
        const child = join(dir, e.name);
        if (await isDiscoverableRepo(child)) found.push(child);
        else if (level < depth) await walk(child, level + 1);
      }),
    );
  };
  if (depth > 0) await walk(root, 1);
  return found.sort();
}
