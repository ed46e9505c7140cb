// The runner's notifier: send() queues an event for every target that wants it and returns at once;
// each target delivers its queue in order in the background (so `waiting` arrives before `resumed`),
// a failure goes to onFailure (the engine logs `[car] notify <target>: <error>`) and never reaches
// the loop. flush() waits a bounded time (the runner's exit); close() abandons what is left.

import type { CarError } from "../../errors.js";
import type { NotifyEvent } from "../../notify/event.js";
import { type Env, type ResolvedTarget, resolveTargets } from "../../notify/resolve.js";
import { type NotifyTargetConfig, wantsEvent } from "../../notify/settings.js";
import { type DeliveryOptions, type DeliveryResult, deliver } from "./deliver.js";

export interface NotifierOptions extends Omit<DeliveryOptions, "signal"> {
  /** Called once per failed delivery (after its last attempt) with a redacted, one-line error. */
  onFailure?: (label: string, error: string, event: string) => void;
  /** Events waiting per target beyond which new ones are dropped (a receiver that never answers). */
  maxQueue?: number;
}

export interface FlushResult {
  /** Deliveries not finished at the deadline. */
  pending: number;
}

interface Lane {
  target: ResolvedTarget;
  tail: Promise<void>;
  queued: number;
}

const DEFAULT_MAX_QUEUE = 20;

export class Notifier {
  readonly #lanes: Lane[];
  readonly #options: Omit<NotifierOptions, "onFailure" | "maxQueue">;
  readonly #onFailure: NotifierOptions["onFailure"];
  readonly #maxQueue: number;
  readonly #abort = new AbortController();
  readonly #last = new Map<string, DeliveryResult>();

  constructor(targets: readonly ResolvedTarget[], options: NotifierOptions = {}) {
    this.#lanes = targets.map((target) => ({ target, tail: Promise.resolve(), queued: 0 }));
    const { onFailure, maxQueue, ...delivery } = options;
    this.#options = delivery;
    this.#onFailure = onFailure;
    this.#maxQueue = maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** Queues the event for every target that wants it; never blocks, never throws. */
  send(event: NotifyEvent): void {
    if (this.#abort.signal.aborted) return;
    for (const lane of this.#lanes) {
      if (!wantsEvent(lane.target, event.event)) continue;
      if (lane.queued >= this.#maxQueue) {
        this.#fail(
          lane.target.label,
          `dropped ${event.event}: ${lane.queued} deliveries already pending`,
          event.event,
        );
        continue;
      }
      lane.queued++;
      lane.tail = lane.tail.then(async () => {
        try {
          const result = await deliver(lane.target, event, { ...this.#options, signal: this.#abort.signal });
          this.#last.set(lane.target.label, result);
          if (!result.ok) this.#fail(lane.target.label, result.error ?? "failed", event.event);
        } catch (err) {
          // deliver() reports its failures as results; this is a bug, still kept from the loop.
          this.#fail(lane.target.label, `internal error: ${String(err)}`, event.event);
        } finally {
          lane.queued--;
        }
      });
    }
  }

  /** Waits for every queued delivery, at most `deadlineMs`. */
  async flush(deadlineMs: number): Promise<FlushResult> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs));
    });
    try {
      await Promise.race([Promise.all(this.#lanes.map((l) => l.tail)), deadline]);
    } finally {
      clearTimeout(timer);
    }
    return { pending: this.pending };
  }

  /** Abandons pending deliveries (each reported as a failure) and ignores later sends. */
  close(): void {
    this.#abort.abort();
  }

  get pending(): number {
    return this.#lanes.reduce((n, l) => n + l.queued, 0);
  }

  /** The last finished delivery per target label (for `car doctor` / status). */
  lastResults(): ReadonlyMap<string, DeliveryResult> {
    return new Map(this.#last);
  }

  #fail(label: string, error: string, event: string): void {
    try {
      this.#onFailure?.(label, error, event);
    } catch {
      // A failing logger must not break delivery of the next event.
    }
  }
}

export interface CreatedNotifier {
  notifier: Notifier;
  /** Targets left out: a variable missing or unusable (specific CONFIG_INVALID errors). */
  problems: Array<{ label: string; error: CarError }>;
}

/** A notifier for the configured targets, secrets read from `env` (default: process.env). */
export function createNotifier(
  targets: readonly NotifyTargetConfig[],
  options: NotifierOptions & { env?: Env } = {},
): CreatedNotifier {
  const resolved = resolveTargets(targets, options.env ?? process.env);
  const problems: CreatedNotifier["problems"] = [];
  const ok: ResolvedTarget[] = [];
  for (const r of resolved) {
    if (r.ok) ok.push(r.target);
    else problems.push({ label: r.label, error: r.error });
  }
  return { notifier: new Notifier(ok, options), problems };
}
