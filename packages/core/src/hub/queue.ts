/**
 * The hub's queue of starts waiting for a free slot under `max_concurrent_runs`: oldest first
 * (`since`, then id, so equal times still give one order), positions from 1.
 */

export interface QueuedEntry {
  id: string;
  since: string;
}

/** Entries in start order. ISO timestamps compare as strings; an unparsable one sorts last. */
export function queueOrder<T extends QueuedEntry>(entries: readonly T[]): T[] {
  const time = (s: string) => {
    const t = Date.parse(s);
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
  };
  return [...entries].sort(
    (a, b) => time(a.since) - time(b.since) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** Each queued id's place (1 = next to start). */
export function queuePositions(entries: readonly QueuedEntry[]): Map<string, number> {
  return new Map(queueOrder(entries).map((e, i) => [e.id, i + 1]));
}

/**
 * How many more runners may start now: the cap minus live runners and starts in flight (never
 * negative); unlimited without a cap.
 */
export function startsAllowed(cap: number | null, active: number, inFlight: number): number {
  if (cap === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, cap - active - inFlight);
}
