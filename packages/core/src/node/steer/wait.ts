import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { setLongTimeout } from "../long-timeout.js";
import { readSteerEntries, steerEntries } from "./scan.js";

export type SteerWaitResult = "message" | "timeout" | "aborted";

export interface WaitForSteerOptions {
  signal?: AbortSignal;
  /** Give up after this long (resolves "timeout"); none = wait until a message or the abort. */
  timeoutMs?: number | null;
  /** Only a pending message with a later id counts (the newest id seen before waiting). */
  after?: string | null;
  /** The fallback poll, for file systems where fs.watch misses events (network mounts). */
  pollMs?: number;
}

/**
 * Resolves "message" as soon as a pending steering message is in `dir` (at once if one already is):
 * fs.watch on the folder wakes it within milliseconds, a slow poll covers what watch misses. For the
 * needs-input pause, which `car steer` or the API ends.
 */
export async function waitForSteer(dir: string, options: WaitForSteerOptions = {}): Promise<SteerWaitResult> {
  const { signal, timeoutMs, after, pollMs = 2000 } = options;
  if (signal?.aborted) return "aborted";
  // The folder must exist to be watched; a missing one is also created by the first `car steer`.
  await fsp.mkdir(dir, { recursive: true }).catch(() => {});
  const hasMessage = async (): Promise<boolean> => {
    const entries = await steerEntries(dir).catch(() => []);
    const pending = entries.filter((e) => e.state === "pending" && (!after || e.id > after));
    if (pending.length === 0) return false;
    // A corrupt file stays pending (claimSteer skips it): it is no answer, or the wait would never wait.
    const { messages } = await readSteerEntries(dir, pending).catch(() => ({ messages: [] }));
    return messages.length > 0;
  };
  if (await hasMessage()) return "message";
  if (signal?.aborted) return "aborted";

  return new Promise<SteerWaitResult>((resolve) => {
    let settled = false;
    let checking = false;
    let again = false;
    let watcher: FSWatcher | undefined;
    const finish = (result: SteerWaitResult) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      cancelTimeout?.();
      watcher?.close();
      signal?.removeEventListener("abort", onAbort);
      resolve(result);
    };
    // One check at a time; events during a check ask for one more.
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          if (await hasMessage()) finish("message");
        } while (again && !settled);
      } finally {
        checking = false;
      }
    };
    const onAbort = () => finish("aborted");
    const poll = setInterval(() => void check(), pollMs);
    const cancelTimeout = timeoutMs != null ? setLongTimeout(() => finish("timeout"), timeoutMs) : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      watcher = watch(dir, { persistent: false }, () => void check());
      // The folder removed or unwatchable: the poll carries on alone.
      watcher.on("error", () => watcher?.close());
    } catch {
      watcher = undefined;
    }
    // A message written between the first check and the watch starting.
    void check();
  });
}
