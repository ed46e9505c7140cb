import { type CheckpointInfo, parseCheckpointCommit } from "../../checkpoint/commit.js";
import { type CheckpointPhase, runCheckpointRef } from "../../checkpoint/refs.js";
import { CarError } from "../../errors.js";
import { execGit, gitLine } from "../git-exec.js";
import { recordSnapshot } from "./record.js";

export interface TakenCheckpoint extends CheckpointInfo {
  ref: string;
}

/**
 * Records the complete state of the work tree (tracked files as they are on disk, untracked files that
 * are not ignored) and the HEAD, branch and index it was taken at, as a commit under
 * `refs/car/runs/<id>/<phase>`. Taking it again for the same run and phase replaces it. The tool's
 * config (`<root>/.codex-autorunner/config.yml`: it may hold a secret) is left out.
 */
export async function takeCheckpoint(
  root: string,
  runId: number,
  phase: CheckpointPhase,
): Promise<TakenCheckpoint> {
  const ref = runCheckpointRef(runId, phase);
  const label = `run ${runId} ${phase}`;
  return { ref, ...(await recordSnapshot(root, ref, label, new Date())) };
}

/** The checkpoint a ref holds; null when the ref does not exist (callers name the error). */
export async function readCheckpoint(root: string, ref: string): Promise<TakenCheckpoint | null> {
  const r = await execGit(root, ["rev-parse", "-q", "--verify", `${ref}^{commit}`]);
  if (r.code !== 0) return null;
  const commit = r.stdout.toString().trim();
  const info = parseCheckpointCommit(commit, `${await gitLine(root, ["cat-file", "commit", commit])}\n`);
  if (!info) {
    throw new CarError(
      "GIT_FAILED",
      `${ref} (${commit.slice(0, 12)}) is not a codex-autorunner checkpoint.`,
      {
        ref,
        commit,
      },
    );
  }
  return { ref, ...info };
}
