import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execGit, gitError, gitLine, gitOk } from "../git-exec.js";
import { readBlobs } from "./blobs.js";
import { fromGit, fsPath, joinZ, splitZ } from "./bytes.js";

/**
 * Which of `paths` a snapshot's ignore rules ignore. A snapshot holds no ignored file, so a path it
 * lacks may still have existed then, ignored: such paths are left alone, never removed.
 *
 * When the work tree's `.gitignore` files are the snapshot's (`rulesDiffer` false), git is asked in
 * place. Otherwise the snapshot's `.gitignore` files are written to a temp folder and git is asked
 * there, with the repo's own git dir (so `info/exclude` and `core.excludesFile` count as well).
 * Paths are byte strings (see bytes.ts).
 */
export async function ignoredUnder(
  top: string,
  tree: string,
  paths: readonly string[],
  rulesDiffer: boolean,
): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  if (!rulesDiffer) return checkIgnore(top, paths, {});
  const gitDir = await gitLine(top, ["rev-parse", "--absolute-git-dir"]);
  const scratch = await fsp.mkdtemp(join(tmpdir(), "car-ignore-"));
  try {
    await writeIgnoreFiles(top, tree, scratch);
    // Folder patterns (`build/`) need the folders to exist to match.
    const dirs = new Set(paths.map((p) => dirname(p)).filter((d) => d !== "."));
    for (const d of dirs) await fsp.mkdir(fsPath(scratch, d), { recursive: true });
    return await checkIgnore(scratch, paths, {
      GIT_DIR: gitDir,
      GIT_WORK_TREE: scratch,
      GIT_INDEX_FILE: join(scratch, ".no-index"),
    });
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

async function checkIgnore(
  cwd: string,
  paths: readonly string[],
  env: Record<string, string>,
): Promise<Set<string>> {
  // --no-index: a tracked path counts as ignored when a rule matches it (it may be untracked by then).
  const args = ["check-ignore", "--no-index", "-z", "--stdin"];
  const r = await execGit(cwd, args, { env, input: joinZ(paths) });
  if (r.code === 1) return new Set(); // none ignored
  if (r.code !== 0) throw gitError(cwd, args, r);
  return new Set(splitZ(fromGit(r.stdout)));
}

/** Every `.gitignore` of `tree`, written under `dir` at its path. */
async function writeIgnoreFiles(top: string, tree: string, dir: string): Promise<void> {
  const listing = splitZ(fromGit(await gitOk(top, ["ls-tree", "-r", "-z", "--full-tree", tree])));
  const files: Array<{ sha: string; path: string }> = [];
  for (const entry of listing) {
    const m = /^\d{6} blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    const path = m?.[2];
    if (m && path !== undefined && (path === ".gitignore" || path.endsWith("/.gitignore"))) {
      files.push({ sha: m[1] as string, path });
    }
  }
  if (files.length === 0) return;
  const blobs = (await readBlobs(
    top,
    files.map((f) => f.sha),
  )) as Buffer[];
  for (const [i, f] of files.entries()) {
    const folder = dirname(f.path);
    if (folder !== ".") await fsp.mkdir(fsPath(dir, folder), { recursive: true });
    await fsp.writeFile(fsPath(dir, f.path), blobs[i] as Buffer);
  }
}
