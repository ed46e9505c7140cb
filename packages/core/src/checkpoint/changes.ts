import { CarError } from "../errors.js";

/**
 * What changed between two snapshots, from ONE git call: `git diff-tree -r -z --raw --numstat <a> <b>`
 * prints every raw record (modes, status) first, then every numstat record (line counts). Parsing both
 * from one output saves a process per diff; the rollback plan uses the raw part alone.
 *
 *   raw:     ":100644 100755 <sha> <sha> M\0path\0"      (R/C: ":... R100\0from\0to\0")
 *   numstat: "3\t1\tpath\0"  "-\t-\tpath\0" (binary)     (rename: "3\t1\t\0from\0to\0")
 */

export type ChangeStatus = "added" | "modified" | "deleted" | "renamed";

export interface ChangedFile {
  path: string;
  status: ChangeStatus;
  /** The old path of a rename. */
  from?: string;
  additions: number;
  deletions: number;
  /** Git saw binary content: no line counts (both 0). */
  binary: boolean;
}

export interface RawChange {
  /** Git's status letter: A, D, M, T (type change, e.g. file ↔ symlink), R, C. */
  letter: string;
  path: string;
  from: string | null;
  oldMode: string;
  newMode: string;
}

interface LineCounts {
  additions: number;
  deletions: number;
  binary: boolean;
}

const RAW_HEADER = /^:(\d{6}) (\d{6}) [0-9a-f]+ [0-9a-f]+ ([A-Z])(\d*)$/;

function malformed(what: string): CarError {
  return new CarError("INTERNAL", `Unexpected git diff output: ${what.slice(0, 200)}`);
}

export function parseRawNumstat(text: string): { raw: RawChange[]; counts: Map<string, LineCounts> } {
  const tokens = text.split("\0");
  if (tokens[tokens.length - 1] === "") tokens.pop();
  const raw: RawChange[] = [];
  const counts = new Map<string, LineCounts>();
  let i = 0;
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw malformed("a record is cut short");
    return t;
  };
  while (i < tokens.length) {
    const token = next();
    if (token.startsWith(":")) {
      const m = RAW_HEADER.exec(token);
      if (!m) throw malformed(token);
      const letter = m[3] as string;
      const from = letter === "R" || letter === "C" ? next() : null;
      raw.push({ letter, path: next(), from, oldMode: m[1] as string, newMode: m[2] as string });
      continue;
    }
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(token);
    if (!m) throw malformed(token);
    let path = m[3] as string;
    if (path === "") {
      next(); // the rename's old path; the raw record has it
      path = next();
    }
    const binary = m[1] === "-";
    counts.set(path, {
      additions: binary ? 0 : Number(m[1]),
      deletions: binary ? 0 : Number(m[2]),
      binary,
    });
  }
  return { raw, counts };
}

const STATUS: Record<string, ChangeStatus> = {
  A: "added",
  C: "added",
  D: "deleted",
  M: "modified",
  T: "modified",
  R: "renamed",
};

/** The changed files of a `--raw --numstat -z` output, in git's (path) order. */
export function changedFiles(text: string): ChangedFile[] {
  const { raw, counts } = parseRawNumstat(text);
  return raw.map((r) => {
    const status = STATUS[r.letter];
    if (!status) throw malformed(`status ${r.letter} for ${r.path}`);
    const c = counts.get(r.path) ?? { additions: 0, deletions: 0, binary: false };
    return { path: r.path, status, ...(r.from !== null ? { from: r.from } : {}), ...c };
  });
}

export function totalLines(files: readonly ChangedFile[]): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const f of files) {
    additions += f.additions;
    deletions += f.deletions;
  }
  return { additions, deletions };
}
