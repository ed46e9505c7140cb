import { sameCheckpointState } from "../../checkpoint/commit.js";
import { checkpointRecord, type RunCheckpointsRecord, runChangesRecord } from "../../checkpoint/record.js";
import type { CheckpointPhase } from "../../checkpoint/refs.js";
import { isGitRepo } from "../git.js";
import { diffFiles } from "./diff.js";
import { type TakenCheckpoint, takeCheckpoint } from "./take.js";

/**
 * The engine's checkpoints: `before` as a run starts, `after` once it is verified and committed, and
 * what changed between them for the run record. A checkpoint that fails is logged and recorded as
 * missing; it never fails the run (the work is the agent's; the checkpoint only makes it undoable).
 */

/** Roots known to be in a git work tree: asked once per process, not before every run. */
const gitRoots = new Set<string>();

async function inGitRepo(root: string): Promise<boolean> {
  if (gitRoots.has(root)) return true;
  // Not remembered when false: a `git init` during the loop turns checkpoints on from the next run.
  const yes = await isGitRepo(root);
  if (yes) gitRoots.add(root);
  return yes;
}

export class RunCheckpoints {
  private before: TakenCheckpoint | null = null;
  private after: TakenCheckpoint | null = null;

  private constructor(
    private readonly root: string,
    private readonly runId: number,
    private readonly log: (text: string) => Promise<void>,
  ) {}

  /** Null when checkpoints are off or the root is not in a git work tree (nothing to record then). */
  static async open(
    root: string,
    runId: number,
    enabled: boolean,
    log: (text: string) => Promise<void>,
  ): Promise<RunCheckpoints | null> {
    if (!enabled || !(await inGitRepo(root))) return null;
    return new RunCheckpoints(root, runId, log);
  }

  async takeBefore(): Promise<void> {
    this.before = await this.take("before");
  }

  async takeAfter(): Promise<void> {
    if (this.before) this.after = await this.take("after");
  }

  /** Neither the files, the staged content nor HEAD differ; null when that is not known. */
  unchanged(): boolean | null {
    return this.before && this.after ? sameCheckpointState(this.before, this.after) : null;
  }

  /** For the run record; the changes are listed when both checkpoints exist. */
  async record(): Promise<RunCheckpointsRecord> {
    const { before, after } = this;
    let changes: RunCheckpointsRecord["changes"] = null;
    if (before && after) {
      try {
        changes = runChangesRecord(await diffFiles(this.root, before.commit, after.commit));
      } catch (err) {
        await this.log(`[car] could not list run ${this.runId}'s changes: ${(err as Error).message}`);
      }
    }
    return {
      before: before ? checkpointRecord(before.ref, before) : null,
      after: after ? checkpointRecord(after.ref, after) : null,
      changes,
    };
  }

  private async take(phase: CheckpointPhase): Promise<TakenCheckpoint | null> {
    try {
      return await takeCheckpoint(this.root, this.runId, phase);
    } catch (err) {
      await this.log(`[car] checkpoint ${phase} run ${this.runId} failed: ${(err as Error).message}`);
      return null;
    }
  }
}
