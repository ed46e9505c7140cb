import type { StreamEventData } from "@codex-autorunner/core";
import type { StreamEntry } from "./ids.js";
import { encodeFrame, formatFrame } from "./writer.js";

/**
 * Log entries as SSE frames. Live entries and batches are the same objects for every subscriber, so
 * each is formatted and encoded once (cached by identity) whatever the number of subscribers.
 */

/** A log line's frame; its data is core's contract (contract/sse.ts). */
type EntryFrame =
  | { event: "run"; id: number; data: StreamEventData["run"] }
  | { event: "log"; id: number; data: StreamEventData["log"] };

/** The SSE frame for one log line: markers become `event: run`, everything else `event: log`. */
export function entryFrame(item: StreamEntry): EntryFrame {
  const { id, entry } = item;
  switch (entry.kind) {
    case "start":
      return { event: "run", id, data: { run_id: entry.runId, phase: "start", code: null, line: entry.raw } };
    case "end":
      return {
        event: "run",
        id,
        data: { run_id: entry.runId, phase: "end", code: entry.code, line: entry.raw },
      };
    case "line":
      return {
        event: "log",
        id,
        data: { run_id: entry.runId, ts: entry.ts, stream: entry.stream, line: entry.line },
      };
    default:
      return { event: "log", id, data: { run_id: null, ts: null, stream: null, line: entry.raw } };
  }
}

const encoded = new WeakMap<StreamEntry, Uint8Array>();

/** One entry's frame, encoded once. */
export function entryBytes(item: StreamEntry): Uint8Array {
  let bytes = encoded.get(item);
  if (!bytes) {
    bytes = encodeFrame(entryFrame(item));
    encoded.set(item, bytes);
  }
  return bytes;
}

const encodedBatches = new WeakMap<readonly StreamEntry[], Uint8Array>();
const batchEncoder = new TextEncoder();

/**
 * A whole batch's frames as one chunk, encoded once: each subscriber gets one write per batch instead
 * of one per line.
 */
export function batchBytes(entries: readonly StreamEntry[]): Uint8Array {
  let bytes = encodedBatches.get(entries);
  if (!bytes) {
    bytes = suffixBytes(entries, 0);
    encodedBatches.set(entries, bytes);
  }
  return bytes;
}

/** The frames of `entries[start..]` as one chunk (not cached: a replay meeting the live stream). */
export function suffixBytes(entries: readonly StreamEntry[], start: number): Uint8Array {
  let text = "";
  for (let i = start; i < entries.length; i++) text += formatFrame(entryFrame(entries[i]!));
  return batchEncoder.encode(text);
}

/**
 * Index of the first entry to send when every entry from there on is new to this subscriber and ids
 * increase (always so for the hub's batches and replays), else -1 (then entries go one by one).
 */
export function freshSuffix(entries: readonly StreamEntry[], lastSent: number): number {
  let start = 0;
  while (start < entries.length && entries[start]!.id <= lastSent) start++;
  return lastDecrease(entries) > start ? -1 : start;
}

/** Per batch (shared by every subscriber), checked once: the last index whose id does not increase, or 0. */
const decreases = new WeakMap<readonly StreamEntry[], number>();

function lastDecrease(entries: readonly StreamEntry[]): number {
  let last = decreases.get(entries);
  if (last === undefined) {
    last = 0;
    for (let i = 1; i < entries.length; i++) if (entries[i]!.id <= entries[i - 1]!.id) last = i;
    decreases.set(entries, last);
  }
  return last;
}
