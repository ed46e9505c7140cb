import { relative } from "node:path";
import { initialState, parseState, serializeState } from "../state/transitions.js";
import type { RunnerState } from "../types.js";
import { readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";
import type { CarPaths } from "./paths.js";

type StatePaths = Pick<CarPaths, "root" | "state">;

/** state.json; a missing file is the initial state, a corrupt one is STATE_CORRUPT (never reset). */
export async function readState(paths: StatePaths): Promise<RunnerState> {
  const file = relative(paths.root, paths.state) || paths.state;
  const text = await readTextIfExists(paths.state).catch((err: unknown) => {
    throw fsError(err, file, "read", paths.state);
  });
  if (text === null) return initialState();
  return parseState(text, file);
}

/** Atomic replace: a reader or a crash sees the old state or the new one, never a torn file. */
export async function writeState(paths: StatePaths, state: RunnerState): Promise<void> {
  await writeFileAtomic(paths.state, serializeState(state)).catch((err: unknown) => {
    throw fsError(err, relative(paths.root, paths.state) || paths.state, "write", paths.state);
  });
}

/**
 * Read, transform, write. Calls in this process are serialised per file so concurrent updates do not
 * lose each other's changes (across processes, the runner lock makes the runner the only writer).
 */
export async function updateState(
  paths: StatePaths,
  fn: (state: RunnerState) => RunnerState | Promise<RunnerState>,
): Promise<RunnerState> {
  const prev = queues.get(paths.state) ?? Promise.resolve();
  const run = prev.then(async () => {
    const next = await fn(await readState(paths));
    await writeState(paths, next);
    return next;
  });
  const tail = run.catch(() => {});
  queues.set(paths.state, tail);
  try {
    return await run;
  } finally {
    if (queues.get(paths.state) === tail) queues.delete(paths.state);
  }
}

const queues = new Map<string, Promise<unknown>>();
