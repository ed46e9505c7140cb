/**
 * What `git add -A` would change in HEAD's tree, read from `git status --porcelain=v2 -z --no-renames
 * --untracked-files=all`. A checkpoint applies these to HEAD's tree instead of re-adding the whole work
 * tree into an index: status is the one scan (with the real index's stat data and git's racy-entry
 * checks), and only the files it names are hashed. Paths are byte strings (see node/checkpoint/bytes.ts).
 */

export type TreeChange =
  /** Gone from the work tree, or removed from the index and not on disk. */
  | { kind: "delete"; path: string }
  /** Unchanged on disk since it was staged: the index's blob and mode. */
  | { kind: "staged"; path: string; mode: string; oid: string }
  /** Tracked and changed on disk: hash the file (mode 120000: the link's target); `oid`: the index's blob. */
  | { kind: "file"; path: string; mode: string; oid: string }
  /** Not tracked, not ignored: its mode comes from the file system. */
  | { kind: "untracked"; path: string };

export type StatusChanges =
  /** `head`: HEAD's commit (`--branch`), null before the first one; `staged`: the index differs from it. */
  | { changes: TreeChange[]; head: string | null; staged: boolean }
  /** Something status cannot tell exactly (submodules, conflicts, nested repos): add it the slow way. */
  | { unsupported: string };

/** `excluded` (a file or folder, relative to the top; everything under a folder) is left out. */
export function parseStatusChanges(out: string, excluded: string): StatusChanges {
  const changes: TreeChange[] = [];
  let head: string | null = null;
  let staged = false;
  const inExcluded = (p: string) => p === excluded || p.startsWith(`${excluded}/`);
  for (const rec of out.split("\0")) {
    if (rec.startsWith("# branch.oid "))
      head = /^[0-9a-f]{40,64}$/.test(rec.slice(13)) ? rec.slice(13) : null;
    if (rec === "" || rec.startsWith("# ")) continue;
    const kind = rec[0];
    if (kind === "?") {
      const path = rec.slice(2);
      if (inExcluded(path)) continue;
      if (path.endsWith("/")) return { unsupported: `nested repository ${path}` };
      changes.push({ kind: "untracked", path });
      continue;
    }
    if (kind !== "1") return { unsupported: kind === "u" ? "unmerged entries" : `status record ${kind}` };
    // 1 XY sub mH mI mW hH hI path (the path may hold spaces: it is everything after the 8th space)
    const f = fields(rec, 8);
    if (!f) return { unsupported: "unexpected status output" };
    const [, xy, sub, , mI, mW, , hI] = f.head as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const path = f.rest;
    const [x, y] = [xy[0], xy[1]];
    if (x !== ".") staged = true; // counted before the car folder is left out: the index is the user's
    if (inExcluded(path)) continue;
    if (sub !== "N...") return { unsupported: `submodule ${path}` };
    if (y === "D" || (y === "." && x === "D")) changes.push({ kind: "delete", path });
    else if (y !== ".") changes.push({ kind: "file", path, mode: mW, oid: hI });
    else changes.push({ kind: "staged", path, mode: mI, oid: hI });
  }
  return { changes, head, staged };
}

function fields(rec: string, n: number): { head: string[]; rest: string } | null {
  const head: string[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const sp = rec.indexOf(" ", pos);
    if (sp < 0) return null;
    head.push(rec.slice(pos, sp));
    pos = sp + 1;
  }
  return { head, rest: rec.slice(pos) };
}

/**
 * A path for git's line-based input (fast-import, `--stdin-paths`): C-quoted when it must be. A CR
 * counts: `hash-object --stdin-paths` drops one before the LF, so "a\r" would hash the file "a".
 */
export function quoteGitPath(path: string): string {
  if (!path.startsWith('"') && !/[\n\r\\]/.test(path)) return path;
  let out = '"';
  for (const ch of path) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
