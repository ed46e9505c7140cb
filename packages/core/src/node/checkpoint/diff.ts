import { type ChangedFile, changedFiles, totalLines } from "../../checkpoint/changes.js";
import { describePatchCut, type PatchCut } from "../../checkpoint/patch.js";
import { runCheckpointRef } from "../../checkpoint/refs.js";
import { CarError } from "../../errors.js";
import { execGit, gitError, gitOk } from "../git-exec.js";

/**
 * What changed from one snapshot to another (a run's `before` and `after`): files with status and line
 * counts, and the patch, size-capped. Plumbing (`diff-tree`) with explicit options, so the user's diff
 * settings (external diff tools, no-prefix, colour, rename limits) do not change what is returned.
 */

export const DEFAULT_PATCH_MAX_BYTES = 1024 * 1024;

export interface RunDiff {
  before: string;
  after: string;
  files: ChangedFile[];
  additions: number;
  deletions: number;
  /** Unified diff, cut at a line end when longer than `patchMaxBytes`. */
  patch: string;
  /** Set when the patch was cut: where, and which files it does not reach. */
  cut: PatchCut | null;
}

export interface DiffOptions {
  /** Patch bytes returned at most (default DEFAULT_PATCH_MAX_BYTES); the file list is never cut. */
  patchMaxBytes?: number;
}

const DIFF_OPTS = ["-r", "-M", "--no-ext-diff", "--no-textconv", "--no-color", "--submodule=short"];

/** The changed files alone (what a run record keeps); one git call. */
export async function diffFiles(root: string, before: string, after: string): Promise<ChangedFile[]> {
  const [a, b] = await resolveCommits(root, before, after);
  return changedFiles(
    (await gitOk(root, ["diff-tree", ...DIFF_OPTS, "-z", "--raw", "--numstat", a, b])).toString(),
  );
}

export async function diffRun(
  root: string,
  before: string,
  after: string,
  opts: DiffOptions = {},
): Promise<RunDiff> {
  const max = opts.patchMaxBytes ?? DEFAULT_PATCH_MAX_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new CarError("INVALID_ARGUMENT", `patchMaxBytes must be a whole number ≥ 0, not ${max}.`, {
      key: "patchMaxBytes",
      expected: "an integer ≥ 0",
      found: String(max),
    });
  }
  const [a, b] = await resolveCommits(root, before, after);
  const patchArgs = ["diff-tree", ...DIFF_OPTS, "-p", "--src-prefix=a/", "--dst-prefix=b/", a, b];
  const [stat, patch] = await Promise.all([
    gitOk(root, ["diff-tree", ...DIFF_OPTS, "-z", "--raw", "--numstat", a, b]),
    // One byte more than allowed tells "exactly the limit" from "more".
    execGit(root, patchArgs, { maxStdoutBytes: max + 1 }),
  ]);
  if (patch.code !== 0 && !patch.truncated) throw gitError(root, patchArgs, patch);
  const files = changedFiles(stat.toString());
  let text = patch.stdout;
  let cut: PatchCut | null = null;
  if (patch.truncated || text.length > max) {
    // Whole lines only; 0 when no line fits (lastIndexOf(…, -1) would search from the end).
    const end = max === 0 ? 0 : text.lastIndexOf(0x0a, max - 1) + 1;
    text = text.subarray(0, end);
    cut = describePatchCut(text.toString(), end, files);
  }
  return { before: a, after: b, files, ...totalLines(files), patch: text.toString(), cut };
}

/** A run's diff from its checkpoints; RUN_NOT_FOUND when the run has none (or only `before`). */
export async function diffRunCheckpoints(
  root: string,
  runId: number,
  opts: DiffOptions = {},
): Promise<RunDiff> {
  const refs = [runCheckpointRef(runId, "before"), runCheckpointRef(runId, "after")];
  const found = await lookupCommits(root, refs);
  const missing = refs.filter((_, i) => found[i] === null);
  if (missing.length > 0) {
    throw new CarError("RUN_NOT_FOUND", `Run ${runId} has no ${missing.join(" or ")} checkpoint.`, {
      run: runId,
      missing,
    });
  }
  return diffRun(root, refs[0] as string, refs[1] as string, opts);
}

/** The commit each rev names, null for none; one git call. */
async function lookupCommits(root: string, revs: readonly string[]): Promise<Array<string | null>> {
  const out = await gitOk(root, ["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    input: revs.map((r) => `${r}^{commit}\n`).join(""),
  });
  const lines = out.toString().split("\n");
  return revs.map((_, i) => /^([0-9a-f]{40,64}) commit$/.exec(lines[i] ?? "")?.[1] ?? null);
}

async function resolveCommits(root: string, before: string, after: string): Promise<[string, string]> {
  const revs = [before, after];
  const found = await lookupCommits(root, revs);
  const [a, b] = revs.map((rev, i) => {
    const sha = found[i];
    if (!sha) {
      throw new CarError("INVALID_ARGUMENT", `No checkpoint or commit named ${JSON.stringify(rev)}.`, {
        expected: "a checkpoint ref or commit",
        found: rev,
      });
    }
    return sha;
  }) as [string, string];
  return [a, b];
}
