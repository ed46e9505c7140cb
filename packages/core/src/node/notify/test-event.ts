// `car notify test [--event E]`: one test event to every configured target, whatever its `events`
// filter, each result reported (a target whose secret is missing is a failed result, not an abort).
import { basename } from "node:path";
import { sampleEvent } from "../../notify/event.js";
import { type Env, resolveTargets } from "../../notify/resolve.js";
import type { NotifyEventName, NotifyTargetConfig } from "../../notify/settings.js";
import { type DeliveryOptions, type DeliveryResult, deliver } from "./deliver.js";

export interface TestEventOptions extends Omit<DeliveryOptions, "signal"> {
  /** Default loop_stopped. */
  event?: NotifyEventName;
  /** The repo's root (its folder name is the event's repo name). */
  root: string;
  env?: Env;
}

export type TestEventResult = Omit<DeliveryResult, "event"> & { event: NotifyEventName };

/** Sends in parallel; one attempt per target unless `attempts` says otherwise (the user is waiting). */
export async function sendTestEvent(
  targets: readonly NotifyTargetConfig[],
  options: TestEventOptions,
): Promise<TestEventResult[]> {
  const { event: chosen, root, env, ...delivery } = options;
  const eventName = chosen ?? "loop_stopped";
  const event = sampleEvent(eventName, { name: basename(root), path: root });
  const resolved = resolveTargets(targets, env ?? process.env);
  return Promise.all(
    resolved.map((r): Promise<TestEventResult> => {
      if (r.ok) return deliver(r.target, event, { ...delivery, attempts: delivery.attempts ?? 1 });
      return Promise.resolve({
        label: r.label,
        event: eventName,
        ok: false,
        status: null,
        error: r.error.message,
        attempts: 0,
        duration_ms: 0,
        at: new Date().toISOString(),
      });
    }),
  );
}
