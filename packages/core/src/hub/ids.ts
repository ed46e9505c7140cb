import { HUB_REPO_ID_PATTERN } from "../contract/routes.js";

/** Hex digest of a text (sha256 in practice; injected because the pure part has no crypto). */
export type HexHash = (text: string) => string;

/** A path under the root that can be an id as it is (`/` becomes `~`): plain names, no `.`/`..` segments. */
const PLAIN_REL = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const MAX_ID = 128;
const MAX_SLUG = 40;

/**
 * `path` relative to `root` with `/` separators: "" for the root itself, null outside it. Both are
 * absolute, normalised paths (no trailing slash, no `.`/`..`), as node's `resolve` gives them.
 */
export function pathUnderRoot(root: string, path: string): string | null {
  if (path === root) return "";
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

function baseName(path: string): string {
  const parts = path.split("/").filter((p) => p !== "");
  return parts[parts.length - 1] ?? "";
}

/** `name` with characters outside [A-Za-z0-9._-] as `-` (runs collapsed), at most 40, never dots only. */
function slug(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .slice(0, MAX_SLUG)
    .replace(/^[.-]+/, "");
  return s === "" ? "repo" : s;
}

/**
 * A repo's id: its path under the root with `/` as `~` (`services~api`) when that path is plain and
 * short; otherwise (other characters, the root itself, outside the root) `~slug(folder name)-<8 hex of
 * hash(relative or absolute path)>`, a form no plain id has (those never start with `~`). `hexChars` lengthens the hash (collisions). Always URL-safe and
 * matching HUB_REPO_ID_PATTERN; never `.`/`..`.
 */
export function hubRepoId(root: string, path: string, hash: HexHash, hexChars = 8): string {
  const rel = pathUnderRoot(root, path);
  if (rel !== null && rel !== "" && rel.length <= MAX_ID && PLAIN_REL.test(rel) && hexChars === 8) {
    return rel.replace(/\//g, "~");
  }
  return hashedId(path, rel, hash, hexChars);
}

function hashedId(path: string, rel: string | null, hash: HexHash, hexChars: number): string {
  const digest = hash(rel === null || rel === "" ? path : rel).slice(0, hexChars);
  // `~` first: a plain id never starts with it, so no folder's name can take a hashed id.
  return `~${slug(baseName(path))}-${digest}`;
}

/**
 * Ids for a list of paths, in order: a path whose id is already taken gets the hash form, then longer
 * hashes (practically never needed). Same paths in the same order → same ids.
 */
export function assignHubRepoIds(root: string, paths: readonly string[], hash: HexHash): string[] {
  const taken = new Set<string>();
  return paths.map((path) => {
    let id = hubRepoId(root, path, hash);
    if (taken.has(id)) id = hashedId(path, pathUnderRoot(root, path), hash, 8);
    for (let chars = 16; taken.has(id) && chars <= 64; chars += 8) id = hubRepoId(root, path, hash, chars);
    for (let n = 2; taken.has(id); n++) id = `${hubRepoId(root, path, hash, 64).slice(0, 120)}-${n}`;
    taken.add(id);
    if (!HUB_REPO_ID_PATTERN.test(id)) throw new Error(`internal: bad hub repo id ${JSON.stringify(id)}`);
    return id;
  });
}
