import { randomBytes } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import { join } from "node:path";
import { CarError, isUsableToken } from "@codex-autorunner/core";
import { isErrno, readTextIfExists, writeFileAtomic } from "@codex-autorunner/core/node";

/**
 * The token a server makes for itself when none is configured, kept in `<dir>/server-token` (mode
 * 0600) so only this user can read it. Reused across restarts, so a phone that stored it keeps
 * working; replaced when it is not safely ours (wrong owner, readable by others, not a regular file,
 * too short). `dir` is the state folder: `.codex-autorunner/` of a repo (the hub passes its own).
 */

export const SERVER_TOKEN_FILE = "server-token";

export interface ServerTokenFile {
  token: string;
  /** Absolute path of the token file. */
  file: string;
  /** True when this call wrote a new token (none was there, or the old one was not safe to use). */
  created: boolean;
  /** True when `server-token` was added to `<dir>/.gitignore` (so an auto-commit never takes it). */
  ignoreAdded: boolean;
}

export async function loadOrCreateServerToken(dir: string): Promise<ServerTokenFile> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, SERVER_TOKEN_FILE);
  const ignoreAdded = await ensureIgnored(dir);
  const existing = await readOwnToken(file);
  if (existing !== null) return { token: existing, file, created: false, ignoreAdded };
  const token = randomBytes(32).toString("base64url");
  // rename() replaces a symlink or FIFO planted there, never writes through it.
  await writeFileAtomic(file, `${token}\n`, { mode: 0o600 }).catch((err: unknown) => {
    const why = err instanceof Error ? err.message : String(err);
    throw new CarError(
      "IO_ERROR",
      `Cannot write the server token to ${file}: ${why}`,
      { file },
      { cause: err },
    );
  });
  return { token, file, created: true, ignoreAdded };
}

/** The file's token if it is a regular file of ours that nobody else can read, else null. */
async function readOwnToken(file: string): Promise<string | null> {
  let handle: fsp.FileHandle;
  try {
    // No following symlinks; O_NONBLOCK so a FIFO cannot hang the start (no effect on a regular file).
    handle = await fsp.open(
      file,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ELOOP") || isErrno(err, "EACCES")) return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    const uid = process.getuid?.();
    if (!st.isFile() || (st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid)) return null;
    if (st.size > 1024) return null;
    const text = (await handle.readFile("utf8")).trim();
    return isUsableToken(text) ? text : null;
  } finally {
    await handle.close();
  }
}

/**
 * Adds `server-token` to `<dir>/.gitignore` unless a line already names it or is `*` (a folder that
 * ignores itself, like the hub's `.car-hub/`).
 */
async function ensureIgnored(dir: string): Promise<boolean> {
  const path = join(dir, ".gitignore");
  const text = (await readTextIfExists(path)) ?? "";
  const listed = text.split(/\r?\n/).some((line) => {
    const l = line.trim();
    return l === SERVER_TOKEN_FILE || l === `/${SERVER_TOKEN_FILE}` || l === "*";
  });
  if (listed) return false;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  await writeFileAtomic(path, `${text}${sep}${SERVER_TOKEN_FILE}\n`);
  return true;
}
