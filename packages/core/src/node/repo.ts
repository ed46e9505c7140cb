import type { Config } from "../config/schema.js";
import { loadConfig } from "./config-io.js";
import {
  type KillResult,
  killRunner,
  requestStop,
  type StartOptions,
  startDetachedRunner,
} from "./control.js";
import { type DocContent, readDoc, type WriteDocOptions, writeDoc } from "./docs.js";
import { type LoopOptions, type LoopResult, runLoop } from "./engine/loop.js";
import { LogReader } from "./log/reader.js";
import { type CarPaths, carPaths, findRepoRoot } from "./paths.js";
import { getStatus, type StatusReport } from "./status.js";

/**
 * A repository with codex-autorunner set up, for tools built on the core: one object with the
 * things the CLI and the server do. The config is read once when opened (`reload()` re-reads it);
 * every method reads the files afresh, so several Repo objects (or processes) stay consistent.
 *
 * ```ts
 * const repo = await openRepo(".");
 * const ac = new AbortController();
 * const result = await repo.run({ signal: ac.signal, onEvent: (e) => console.log(e) });
 * console.log(result.reason, (await repo.status()).outstanding_count);
 * ```
 */
export interface Repo {
  readonly root: string;
  readonly paths: CarPaths;
  readonly config: Config;
  /** Status derived from the lock's live PID (see getStatus). */
  status(): Promise<StatusReport>;
  /** Run the loop in this process (see runLoop). */
  run(options?: Omit<LoopOptions, "root">): Promise<LoopResult>;
  /** The log: run blocks, tail, previous output, entries from an offset. */
  readonly logs: LogReader;
  readDoc(kind: string): Promise<DocContent>;
  writeDoc(kind: string, content: string, options?: WriteDocOptions): Promise<DocContent>;
  /** Ask the live runner to stop after its current run (a hub's queued start is cancelled too). */
  stop(): Promise<{ pid: number | null; queueCancelled: boolean }>;
  /** End the runner and its agent's group. */
  kill(options?: { graceMs?: number }): Promise<KillResult>;
  /** Start a detached runner process. */
  start(options?: StartOptions): Promise<{ pid: number }>;
  /** Re-read config.yml. */
  reload(): Promise<Repo>;
}

/** Find the git root at or above `path` and load its config (CONFIG_NOT_FOUND if not initialised). */
export async function openRepo(path: string): Promise<Repo> {
  const root = await findRepoRoot(path);
  const { config } = await loadConfig(root);
  const paths = carPaths(root, config);
  const logs = new LogReader(paths.log, paths.logIndex);
  return {
    root,
    paths,
    config,
    logs,
    status: () => getStatus(root),
    run: (options = {}) => runLoop({ ...options, root }),
    readDoc: (kind) => readDoc(root, config, kind),
    writeDoc: (kind, content, options) => writeDoc(root, config, kind, content, options),
    stop: () => requestStop(root),
    kill: (options) => killRunner(root, options),
    start: (options) => startDetachedRunner(root, options),
    reload: () => openRepo(root),
  };
}
