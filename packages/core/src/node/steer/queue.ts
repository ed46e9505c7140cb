import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { CarError } from "../../errors.js";
import {
  checkSteerId,
  newSteerId,
  normalizeSteerText,
  orderSteerMessages,
  queueFullError,
  STEER_MAX_PENDING,
  type SteerCorruptFile,
  type SteerMessage,
  type SteerState,
  serializeSteerFile,
  steerFileName,
} from "../../steer/message.js";
import { isErrno, writeFileAtomic } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import { readSteerEntries, steerEntries } from "./scan.js";

/**
 * The steering queue's user side: `car steer` and the API append, list, delete and clear. Each
 * message is its own file (see steer/message.ts for the names and states), written to a temp file and
 * renamed into place under a name no other writer can produce (time + pid + random), so any number
 * of concurrent writers never lose or tear a message and no lock is needed.
 */

let lastMs = 0;

/** Queue `text` (trimmed; size and count limits: INVALID_ARGUMENT naming them). */
export async function appendSteer(
  dir: string,
  text: string,
  options: { now?: Date } = {},
): Promise<SteerMessage> {
  const body = normalizeSteerText(text);
  await fsp.mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw fsError(err, dir, "create the folder");
  });
  const pending = (await steerEntries(dir)).filter((e) => e.state === "pending").length;
  if (pending >= STEER_MAX_PENDING) throw queueFullError(pending);
  // Monotonic per process, so one writer's messages keep their order within a millisecond.
  const ms = Math.max((options.now ?? new Date()).getTime(), lastMs + 1);
  lastMs = ms;
  const id = newSteerId(ms, process.pid, randomBytes(3).toString("hex"));
  const message: SteerMessage = {
    id,
    text: body,
    created_at: new Date(ms).toISOString(),
    state: "pending",
    run_id: null,
  };
  const path = join(dir, steerFileName(id, "pending", null));
  await writeFileAtomic(path, serializeSteerFile(message), { mode: 0o600 }).catch((err: unknown) => {
    throw fsError(err, path, "write");
  });
  return message;
}

export interface SteerList {
  /** Oldest first. */
  messages: SteerMessage[];
  /** Files that could not be read as messages, by name (left in place; `deleteSteer` removes them). */
  corrupt: SteerCorruptFile[];
}

/** Every message (or those in `state`), oldest first; a corrupt file is reported, never fatal. */
export async function listSteer(dir: string, options: { state?: SteerState } = {}): Promise<SteerList> {
  const entries = (await steerEntries(dir)).filter((e) => !options.state || e.state === options.state);
  const { messages, corrupt } = await readSteerEntries(dir, entries);
  const ordered = orderSteerMessages(messages);
  return { messages: options.state ? ordered.filter((m) => m.state === options.state) : ordered, corrupt };
}

/**
 * Remove one message by id (pending, delivered, or a corrupt file). A message being delivered cannot
 * be taken back: the running agent already has it. Returns what was removed, or null for no such id.
 */
export async function deleteSteer(
  dir: string,
  id: string,
): Promise<{ id: string; state: SteerState; run_id: number | null } | null> {
  checkSteerId(id);
  // A rename between the listing and the unlink (a claim, a confirm) means: look again.
  for (let attempt = 0; ; attempt++) {
    const entry = (await steerEntries(dir)).find((e) => e.id === id);
    if (!entry) return null;
    if (entry.state === "delivering") {
      throw new CarError(
        "INVALID_ARGUMENT",
        `steering message ${id} is being delivered to run ${entry.run_id}; it can be deleted once that run ends`,
        { key: "id", found: id, reason: "steer_delivering", run_id: entry.run_id },
      );
    }
    try {
      await fsp.unlink(join(dir, entry.name));
      return { id, state: entry.state, run_id: entry.run_id };
    } catch (err) {
      if (!isErrno(err, "ENOENT") || attempt >= 3) throw fsError(err, join(dir, entry.name), "delete");
    }
  }
}

/** Remove every pending message; returns how many were removed (claimed ones are not). */
export async function clearPendingSteer(dir: string): Promise<number> {
  let removed = 0;
  for (const e of await steerEntries(dir)) {
    if (e.state !== "pending") continue;
    try {
      await fsp.unlink(join(dir, e.name));
      removed++;
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw fsError(err, join(dir, e.name), "delete");
    }
  }
  return removed;
}
