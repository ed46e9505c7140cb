/**
 * Paths between git and the file system are byte strings: git output is read as latin1 (one char per
 * byte) and written back the same way, so a file name that is not valid UTF-8 still reaches the right
 * file. `display` turns such a string into readable text for plans and messages.
 */

export const fromGit = (bytes: Buffer): string => bytes.toString("latin1");

const toGit = (s: string): Buffer => Buffer.from(s, "latin1");

export const display = (s: string): string => toGit(s).toString("utf8");

/** NUL-separated fields (a trailing NUL ends the last one). */
export function splitZ(s: string): string[] {
  if (s === "") return [];
  const parts = s.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Paths as NUL-terminated bytes for git's `-z --stdin`. */
export function joinZ(paths: readonly string[]): Buffer {
  return toGit(paths.map((p) => `${p}\0`).join(""));
}

/** `rel` (a byte string from git) under the folder `base` (ordinary text), as a path for node:fs. */
export function fsPath(base: string, rel: string): Buffer {
  return Buffer.concat([Buffer.from(base.endsWith("/") ? base : `${base}/`), toGit(rel)]);
}
