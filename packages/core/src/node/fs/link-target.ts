import { promises as fsp } from "node:fs";
import { dirname, resolve } from "node:path";
import { isErrno } from "./atomic.js";

/** Linux's limit on links followed while resolving one path. */
const MAX_HOPS = 40;

/**
 * The file a write of `path` should replace: `path` itself, or, when it is a symbolic link, the file
 * at the end of the link chain (even one that does not exist yet). An atomic write renames a temp file
 * over its target, so writing the link's path would replace the link with a plain file and cut it off
 * from the file it shared (a doc kept in a dotfiles repo, a TODO shared between worktrees).
 */
export async function resolveLinkTarget(path: string): Promise<string> {
  let p = path;
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    let link: string;
    try {
      link = await fsp.readlink(p);
    } catch (err) {
      // EINVAL: not a link; ENOENT: nothing there yet. Either way this is the file to write.
      if (isErrno(err, "EINVAL") || isErrno(err, "ENOENT")) return p;
      throw err;
    }
    p = resolve(dirname(p), link);
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${path}`), { code: "ELOOP" });
}
