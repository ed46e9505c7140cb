import { CarError } from "../errors.js";

/**
 * Steering messages (issue 13): one immutable JSON file per message in the steer folder
 * (`.codex-autorunner/steer/`). The file's NAME carries the message's state, so every state change
 * is one atomic rename and a message always exists under exactly one name (never lost, never twice):
 *
 *   <id>.pending.json            queued by `car steer`, not yet in a prompt
 *   <id>.delivering.<run>.json   claimed for run <run>'s prompt; the run has not finished yet
 *   <id>.delivered.<run>.json    run <run> finished with it in its prompt (final)
 *
 *   pending ──claim(run)──▶ delivering.run ──confirm(run)──▶ delivered.run
 *      ▲                         │
 *      └──────release(run)───────┘   (the run did not finish: crash, kill, failure)
 *
 * Ids are `<ms since epoch, 13 digits>-<pid>-<6 hex>`: they sort by arrival, the pid and a per-process
 * monotonic clock make them unique on one host, and the random part across hosts.
 */

export const STEER_STATES = ["pending", "delivering", "delivered"] as const;
export type SteerState = (typeof STEER_STATES)[number];

export interface SteerMessage {
  id: string;
  text: string;
  /** ISO 8601, when `car steer` queued it. */
  created_at: string;
  state: SteerState;
  /** The run it is being / was delivered to; null while pending. */
  run_id: number | null;
}

/** A file in the steer folder that could not be read as a message: reported, never fatal. */
export interface SteerCorruptFile {
  file: string;
  error: string;
}

/** Largest message, in UTF-8 bytes (a prompt block, not an attachment). */
export const STEER_MAX_BYTES = 16 * 1024;
/** Most pending messages; appending beyond is refused (soft under concurrent writers). */
export const STEER_MAX_PENDING = 100;
/** Delivered messages kept for `car steer --list`; older ones are removed when a run confirms. */
export const STEER_KEEP_DELIVERED = 200;

export const STEER_ID_PATTERN = /^\d{13}-\d{1,10}-[0-9a-f]{6}$/;
const FILE_RE = /^(\d{13}-\d{1,10}-[0-9a-f]{6})\.(pending|delivering|delivered)(?:\.(\d{1,15}))?\.json$/;

export function newSteerId(ms: number, pid: number, random6hex: string): string {
  return `${String(Math.floor(ms)).padStart(13, "0")}-${pid}-${random6hex}`;
}

/** Throws INVALID_ARGUMENT unless `id` is a steer id (ids come from URLs: never a path). */
export function checkSteerId(id: string): string {
  if (!STEER_ID_PATTERN.test(id)) {
    throw new CarError("INVALID_ARGUMENT", `not a steering message id: ${JSON.stringify(id.slice(0, 80))}`, {
      key: "id",
      expected: "an id as listed by `car steer --list`, e.g. 1764886291123-4242-a1b2c3",
      found: id.slice(0, 80),
    });
  }
  return id;
}

export function steerFileName(id: string, state: SteerState, runId: number | null): string {
  if (state === "pending") return `${id}.pending.json`;
  if (runId === null || !Number.isSafeInteger(runId) || runId < 0) {
    throw new CarError("INTERNAL", `a ${state} steering message needs a run id`);
  }
  return `${id}.${state}.${runId}.json`;
}

/** The id, state and run of a steer file name; null for anything else (temp files, strays). */
export function parseSteerFileName(
  name: string,
): { id: string; state: SteerState; run_id: number | null } | null {
  const m = FILE_RE.exec(name);
  if (!m) return null;
  const state = m[2] as SteerState;
  const run = m[3] === undefined ? null : Number(m[3]);
  if ((state === "pending") !== (run === null)) return null;
  return { id: m[1]!, state, run_id: run };
}

/** UTF-8 length without TextEncoder (the pure part has no DOM or Node types). */
export function utf8ByteLength(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * The message as it is stored: trimmed; refused (INVALID_ARGUMENT naming the limit) when empty, over
 * STEER_MAX_BYTES or containing NUL (it goes into a prompt as text).
 */
export function normalizeSteerText(text: string): string {
  const t = text.trim();
  if (t === "") {
    throw new CarError("INVALID_ARGUMENT", "the steering message is empty", {
      key: "message",
      expected: "non-empty text",
      reason: "steer_empty",
    });
  }
  if (t.includes("\0")) {
    throw new CarError("INVALID_ARGUMENT", "the steering message contains a NUL byte", {
      key: "message",
      expected: "text without NUL bytes",
      reason: "steer_not_text",
    });
  }
  const bytes = utf8ByteLength(t);
  if (bytes > STEER_MAX_BYTES) {
    throw new CarError(
      "INVALID_ARGUMENT",
      `the steering message is ${bytes} bytes; the limit is ${STEER_MAX_BYTES} bytes (put long material in a file the agent can read and refer to it)`,
      {
        key: "message",
        expected: `at most ${STEER_MAX_BYTES} bytes`,
        found: `${bytes} bytes`,
        reason: "steer_too_large",
      },
    );
  }
  return t;
}

export function queueFullError(pending: number): CarError {
  return new CarError(
    "INVALID_ARGUMENT",
    `${pending} steering messages are already pending; the limit is ${STEER_MAX_PENDING} (clear or delete some first)`,
    {
      key: "message",
      expected: `at most ${STEER_MAX_PENDING} pending messages`,
      found: String(pending),
      reason: "steer_queue_full",
    },
  );
}

/** The file's content: only what never changes (state lives in the name). */
export function serializeSteerFile(m: { id: string; text: string; created_at: string }): string {
  return `${JSON.stringify({ version: 1, id: m.id, text: m.text, created_at: m.created_at })}\n`;
}

/**
 * A steer file back into a message, checked against its name. Returns the problem as text rather
 * than throwing, so one bad file is reported by name and the rest of the queue still works.
 */
export function parseSteerFile(name: string, content: string): SteerMessage | { error: string } {
  const meta = parseSteerFileName(name);
  if (!meta) return { error: "not a steering message file name" };
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    return { error: `invalid JSON (${(err as Error).message})` };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return { error: "expected a JSON object" };
  const o = data as Record<string, unknown>;
  if (o.version !== 1) return { error: `unknown version ${JSON.stringify(o.version)} (expected 1)` };
  if (o.id !== meta.id) return { error: `id ${JSON.stringify(o.id)} does not match the file name` };
  if (typeof o.text !== "string" || o.text.trim() === "")
    return { error: "text: expected a non-empty string" };
  // A hand-placed file must not smuggle more into the prompt than `car steer` accepts.
  if (utf8ByteLength(o.text) > STEER_MAX_BYTES) return { error: `text: over ${STEER_MAX_BYTES} bytes` };
  if (typeof o.created_at !== "string" || !Number.isFinite(Date.parse(o.created_at))) {
    return { error: "created_at: expected an ISO 8601 time" };
  }
  return { id: meta.id, text: o.text, created_at: o.created_at, state: meta.state, run_id: meta.run_id };
}

const STATE_RANK: Record<SteerState, number> = { pending: 0, delivering: 1, delivered: 2 };

/**
 * Messages in arrival order, one per id. A directory listing taken during a rename may show a message
 * under both names; the later state wins (states only move forward, except release, which the one
 * lock-holding runner does while nobody claims).
 */
export function orderSteerMessages(messages: readonly SteerMessage[]): SteerMessage[] {
  const byId = new Map<string, SteerMessage>();
  for (const m of messages) {
    const seen = byId.get(m.id);
    if (!seen || STATE_RANK[m.state] > STATE_RANK[seen.state]) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
