import { promises as fsp } from "node:fs";
import { join } from "node:path";
import {
  orderSteerMessages,
  STEER_KEEP_DELIVERED,
  type SteerMessage,
  type SteerState,
  steerFileName,
} from "../../steer/message.js";
import { isErrno } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import { readSteerEntries, type SteerEntry, steerEntries } from "./scan.js";

/**
 * The runner's side of the steering queue: each message reaches exactly one finished run, and a crash
 * never loses one. Every step is one rename per message (steer/message.ts has the state diagram):
 *
 * - claimSteer(run) before building run's prompt: pending → delivering.run; returns those plus any
 *   already delivering to the same run (a retry attempt of that run gets the same messages again).
 * - confirmSteer(run) once the run has finished with the messages in its prompt: delivering.run →
 *   delivered.run (final; the ids go into the run record).
 * - releaseSteer(run) when the run ended without finishing (killed, interrupted, failed before the
 *   agent saw its prompt): delivering.run → pending, so the next run gets them.
 * - recoverSteer(isFinished) at start-up, with the lock held and before the first claim: whatever a
 *   dead runner left delivering is confirmed if its run finished, else released (delivered again).
 *
 * Only the lock holder calls these; `car steer` only creates pending files and deletes pending or
 * delivered ones, so a rename losing a race (ENOENT) just means the user deleted that message first.
 */

/** Claim the pending messages for `runId`'s prompt; oldest first. Corrupt files stay pending. */
export async function claimSteer(dir: string, runId: number): Promise<SteerMessage[]> {
  const entries = await steerEntries(dir);
  const pending = entries.filter((e) => e.state === "pending");
  const { messages } = await readSteerEntries(dir, pending);
  await moveAll(
    dir,
    messages.map((m) => ({ id: m.id, state: "pending" as const, run_id: null })),
    "delivering",
    runId,
  );
  return mine(dir, "delivering", runId);
}

/** The run finished: its messages are delivered to it. Returns them (for the run record), oldest first. */
export async function confirmSteer(dir: string, runId: number): Promise<SteerMessage[]> {
  await moveAll(dir, await ofRun(dir, "delivering", runId), "delivered", runId);
  const delivered = await mine(dir, "delivered", runId);
  await pruneDelivered(dir);
  return delivered;
}

/** The run did not finish: its messages go back to pending. Returns how many. */
export async function releaseSteer(dir: string, runId: number): Promise<number> {
  return moveAll(dir, await ofRun(dir, "delivering", runId), "pending", null);
}

/**
 * After a crash: each run that still has messages delivering is asked `isFinished(run)` — confirmed
 * if it finished, released otherwise. Returns the run ids of each kind.
 */
export async function recoverSteer(
  dir: string,
  isFinished: (runId: number) => boolean | Promise<boolean>,
): Promise<{ confirmed: number[]; released: number[] }> {
  const runs = new Set<number>();
  for (const e of await steerEntries(dir))
    if (e.state === "delivering" && e.run_id !== null) runs.add(e.run_id);
  const confirmed: number[] = [];
  const released: number[] = [];
  for (const run of [...runs].sort((a, b) => a - b)) {
    if (await isFinished(run)) {
      await confirmSteer(dir, run);
      confirmed.push(run);
    } else {
      await releaseSteer(dir, run);
      released.push(run);
    }
  }
  return { confirmed, released };
}

async function ofRun(dir: string, state: SteerState, runId: number): Promise<SteerEntry[]> {
  return (await steerEntries(dir)).filter((e) => e.state === state && e.run_id === runId);
}

async function mine(dir: string, state: SteerState, runId: number): Promise<SteerMessage[]> {
  const { messages } = await readSteerEntries(dir, await ofRun(dir, state, runId));
  return orderSteerMessages(messages);
}

/** Rename each entry to `state`/`runId`; returns how many moved (ENOENT: deleted meanwhile). */
async function moveAll(
  dir: string,
  entries: readonly Pick<SteerEntry, "id" | "state" | "run_id">[],
  state: SteerState,
  runId: number | null,
): Promise<number> {
  let moved = 0;
  for (const e of entries) {
    const from = join(dir, steerFileName(e.id, e.state, e.run_id));
    try {
      await fsp.rename(from, join(dir, steerFileName(e.id, state, runId)));
      moved++;
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw fsError(err, from, "rename");
    }
  }
  return moved;
}

/** Keep the newest STEER_KEEP_DELIVERED delivered messages (the list is history, not an archive). */
async function pruneDelivered(dir: string): Promise<void> {
  const delivered = (await steerEntries(dir)).filter((e) => e.state === "delivered");
  for (const e of delivered.slice(0, Math.max(0, delivered.length - STEER_KEEP_DELIVERED))) {
    await fsp.unlink(join(dir, e.name)).catch((err: unknown) => {
      if (!isErrno(err, "ENOENT")) throw fsError(err, join(dir, e.name), "delete");
    });
  }
}
