import { promises as fsp } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { CarError } from "../../errors.js";
import { pathUnderRoot } from "../../hub/ids.js";
import { type HubManifest, parseHubManifest, setHubLists } from "../../hub/manifest.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { readSettingsFile } from "../fs/bounded-read.js";
import { fsError } from "../fs/errors.js";
import { initRepo } from "../init.js";
import { CAR_DIR } from "../paths.js";
import type { HubPaths } from "./paths.js";

export interface LoadedHubManifest {
  manifest: HubManifest;
  /** The file's text; null when there is no hub.yml (defaults). */
  text: string | null;
}

/** Far above any real hub.yml. */
const HUB_MANIFEST_MAX_BYTES = 1_048_576;

/** hub.yml, or the defaults when it does not exist. CONFIG_YAML / CONFIG_INVALID name the file. */
export async function readHubManifest(paths: HubPaths): Promise<LoadedHubManifest> {
  // Not followed if a link, never a FIFO, device or huge file: `car hub list` must not hang on one.
  const text = await readSettingsFile(paths.manifest, paths.manifest, {
    maxBytes: HUB_MANIFEST_MAX_BYTES,
    followLinks: false,
  });
  return { manifest: parseHubManifest(text ?? "", paths.manifest), text };
}

/** A `repos:`/`exclude:` entry as an absolute path (relative entries are under the root). */
export function manifestEntryPath(root: string, entry: string): string {
  return resolve(root, entry);
}

/** The path with every symlink resolved; the path itself when it cannot be (gone, unreadable). */
export function realPathOf(path: string): Promise<string> {
  return fsp.realpath(path).catch(() => path);
}

/** How a path is written into hub.yml: relative to the root when inside it, else absolute. */
function entryFor(root: string, abs: string): string {
  const rel = pathUnderRoot(root, abs);
  return rel === null || rel === "" ? abs : rel;
}

async function writeLists(paths: HubPaths, text: string | null, repos: string[], exclude: string[]) {
  const out = setHubLists(text ?? "", { repos, exclude }, paths.manifest);
  await writeFileAtomic(paths.manifest, out).catch((err: unknown) => {
    throw fsError(err, paths.manifest, "write");
  });
}

function invalid(message: string, path: string, extra: Record<string, unknown> = {}): CarError {
  return new CarError("INVALID_ARGUMENT", message, { path, ...extra });
}

/**
 * Check `path` (absolute, or relative to the root) as a new hub repo: a folder, a git repository,
 * inside the root (also after following links) unless hub.yml allows otherwise. INVALID_ARGUMENT
 * naming the path when not. Returns the absolute path.
 */
export async function checkNewRepoPath(
  paths: HubPaths,
  manifest: HubManifest,
  path: string,
): Promise<string> {
  const abs = isAbsolute(path) ? resolve(path) : resolve(paths.root, path);
  const st = await fsp.stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw invalid(`${abs} is not a folder.`, abs, { expected: "a folder" });
  if (!manifest.allow_outside_root) {
    const realRoot = await realPathOf(paths.root);
    const real = await realPathOf(abs);
    if (pathUnderRoot(paths.root, abs) === null || pathUnderRoot(realRoot, real) === null) {
      throw invalid(
        `${abs} is outside the hub's root ${paths.root}; set allow_outside_root: true in ${paths.manifest} to add it.`,
        abs,
        { key: "allow_outside_root", file: paths.manifest },
      );
    }
  }
  const git = await fsp.lstat(join(abs, ".git")).catch(() => null);
  if (!git) {
    throw invalid(`${abs} is not a git repository (no .git in it); run \`git init\` there first.`, abs, {
      expected: "a git repository",
    });
  }
  return abs;
}

/**
 * Register a checked path in hub.yml's `repos:` (and take it out of `exclude:`); with `init`, run
 * `car init` there first unless it is initialised already.
 */
export async function addToManifest(
  paths: HubPaths,
  abs: string,
  options: { init?: boolean } = {},
): Promise<void> {
  if (options.init) {
    const configured = await fsp.lstat(join(abs, CAR_DIR, "config.yml")).catch(() => null);
    if (!configured) await initRepo(abs);
  }
  const { manifest, text } = await readHubManifest(paths);
  const repos = manifest.repos.filter((e) => manifestEntryPath(paths.root, e) !== abs);
  repos.push(entryFor(paths.root, abs));
  const exclude = manifest.exclude.filter((e) => manifestEntryPath(paths.root, e) !== abs);
  await writeLists(paths, text, repos, exclude);
}

/**
 * Forget a repo: out of `repos:`, and into `exclude:` when discovery finds it (else it would come back).
 * Never touches the repo's files.
 */
export async function removeFromManifest(paths: HubPaths, abs: string, discovered: boolean): Promise<void> {
  const { manifest, text } = await readHubManifest(paths);
  const repos = manifest.repos.filter((e) => manifestEntryPath(paths.root, e) !== abs);
  const exclude = manifest.exclude.filter((e) => manifestEntryPath(paths.root, e) !== abs);
  if (discovered) exclude.push(entryFor(paths.root, abs));
  await writeLists(paths, text, repos, exclude);
}
