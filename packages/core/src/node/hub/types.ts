import type { HubRepo, HubReposBody } from "../../contract/hub.js";

/**
 * The hub's seam. Where repos come from (`RepoSource`) and how each is reached (`HubRepoRef.location`)
 * are the only things the hub knows about a repo; summaries, the stream and the queue are built on
 * them. Today every repo is a local folder with its own detached runner; a source of repos on other
 * machines would add another `location` kind without changing the API or the UI.
 */

/** One repo the hub knows of, before anything is read from it. */
export interface HubRepoRef {
  /** Stable, URL-safe, unique (core's hub/ids.ts, from the path under the root). */
  id: string;
  /** The folder's name. */
  name: string;
  /** Absolute path (as listed or discovered; not resolved through symlinks). */
  path: string;
  source: "manifest" | "discovered";
  /** How the repo is reached: a folder on this machine (its runner is a detached local process). */
  location: { kind: "local"; root: string };
}

/** Where repos come from: hub.yml's list plus discovery under the root. */
export interface RepoSource {
  /** The repos now (re-reads hub.yml and re-discovers). Throws on a broken hub.yml (CONFIG_* naming it). */
  list(): Promise<HubRepoRef[]>;
}

/** What the hub's registry tells its listeners. */
export type HubRegistryEvent =
  | { type: "repo"; repo: HubRepo; activeRuns: number }
  | { type: "removed"; id: string; activeRuns: number };

/** A start through the hub: started now, or queued behind the cap. */
export type HubStartResult =
  | { running: true; pid: number; queued: null }
  | { running: false; pid: null; queued: { since: string; position: number } };

/** The live hub: repos, summaries kept fresh by file watches (no polling of idle repos), the queue. */
export interface HubRegistryApi {
  readonly root: string;
  /** The cap in force (null: none). */
  readonly maxConcurrentRuns: number | null;
  /** Every repo's summary (from the cache; live runners re-checked). */
  list(): Promise<HubReposBody>;
  /** The ref for an id, or undefined (ids never resolve outside the registered repos). */
  get(id: string): HubRepoRef | undefined;
  /** One repo's summary, or undefined for an unknown id. */
  summary(id: string): Promise<HubRepo | undefined>;
  /** Start a runner now, or queue the start when the cap is reached (LOCK_HELD if one is alive). */
  start(id: string, options: { once: boolean; force?: boolean }): Promise<HubStartResult>;
  /** Cancel a queued start; false when none was queued (or the queue launched it first: stop that runner). */
  cancelQueued(id: string): Promise<boolean>;
  /** Register a path (hub.yml `repos:`); `init` runs `car init` first. */
  add(path: string, options?: { init?: boolean }): Promise<HubRepo>;
  /**
   * Forget a repo (manifest only; a discovered repo goes into `exclude:`) and drop its queued start.
   * LOCK_HELD while its runner is alive.
   */
  remove(id: string): Promise<{ ref: HubRepoRef; excluded: boolean }>;
  /** Re-read hub.yml and re-discover (also done when hub.yml changes). */
  refresh(): Promise<void>;
  /** Listen to changes; returns the unsubscribe function. */
  subscribe(listener: (event: HubRegistryEvent) => void): () => void;
  /** Stops every watcher and timer. Queued starts stay on disk for the next hub. */
  close(): void;
}
