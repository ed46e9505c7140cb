import { relative } from "node:path";
import { CarError } from "../../errors.js";
import { type LockHandle, lockTakenBy } from "../lock.js";
import type { LogWriter } from "../log/writer.js";

/**
 * A runner writes the log and state.json only while it holds the lock. `--force` elsewhere normally
 * ends this runner before taking the lock; where it cannot (a lock from another host over a shared
 * folder, two loops in one process) this runner must notice and stop without writing anything more:
 * the new holder's recovery closes the run this one left open, so a run never gets two end markers.
 * Checked before every run, every state write and every log write (agent lines at most every
 * 20 ms: one small read), and every half second, which aborts a run in progress.
 */

const CHECK_EVERY_MS = 500;
/** Agent output comes in bursts: its writes reuse a check this recent. */
const LINES_CHECK_MS = 20;
/** The writer calls that put something in the log. */
const WRITES = new Set<PropertyKey>(["startRun", "line", "lines", "block", "endRun", "markInterrupted"]);
const LINE_WRITES = new Set<PropertyKey>(["line", "lines", "block"]);

export interface Ownership {
  /** Aborted (reason: the LOCK_HELD error) once another runner took the lock. */
  readonly signal: AbortSignal;
  /** Throws LOCK_HELD when the lock now names another runner. */
  assert(): void;
  /** `writer` that refuses to write once the lock was taken over. */
  guard(writer: LogWriter): LogWriter;
  stop(): void;
}

export function watchOwnership(lock: LockHandle, root: string): Ownership {
  const lost = new AbortController();
  let checkedAt = 0;
  const assert = () => {
    if (lost.signal.aborted) throw lost.signal.reason;
    checkedAt = Date.now();
    const taker = lockTakenBy(lock);
    if (taker === null) return;
    const file = relative(root, lock.path);
    lost.abort(
      new CarError(
        "LOCK_HELD",
        `Runner PID ${taker.pid} took over ${file}; this runner (PID ${process.pid}) stops without writing the log or state.`,
        { file, pid: taker.pid },
      ),
    );
    throw lost.signal.reason;
  };
  const timer = setInterval(() => {
    try {
      assert();
    } catch {
      clearInterval(timer);
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return {
    signal: lost.signal,
    assert,
    guard: (writer) =>
      new Proxy(writer, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (typeof value !== "function") return value;
          if (!WRITES.has(prop)) return value.bind(target);
          return (...args: unknown[]) => {
            try {
              if (!LINE_WRITES.has(prop) || Date.now() - checkedAt >= LINES_CHECK_MS) assert();
              else if (lost.signal.aborted) throw lost.signal.reason;
            } catch (err) {
              return Promise.reject(err);
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    stop: () => clearInterval(timer),
  };
}
