import type { FSWatcher } from "node:fs";
import { watch } from "node:fs";
import { resolve } from "node:path";
import type { HubRepo, HubReposBody } from "../../contract/hub.js";
import { CarError } from "../../errors.js";
import { queueOrder, queuePositions, startsAllowed } from "../../hub/queue.js";
import { emptyHubRepo } from "../../hub/summary.js";
import { startDetachedRunner } from "../control.js";
import { lockStatus } from "../lock.js";
import { carPaths } from "../paths.js";
import {
  addToManifest,
  checkNewRepoPath,
  readHubManifest,
  realPathOf,
  removeFromManifest,
} from "./manifest-io.js";
import { HUB_MANIFEST } from "./paths.js";
import { clearQueuedStart, type QueuedStart, readQueuedStart, writeQueuedStart } from "./queued.js";
import { LocalRepoSource } from "./source.js";
import { summariseRepo } from "./summary.js";
import type { HubRegistryApi, HubRegistryEvent, HubRepoRef, HubStartResult } from "./types.js";
import { openWatchers, watchTargets } from "./watch.js";

const DEBOUNCE_MS = 100;
/** Only while some runner is alive: a SIGKILLed runner leaves its lock and changes no file. */
const LIVENESS_MS = 2_000;

interface Entry {
  ref: HubRepoRef;
  /** The card as last read (queue position not applied). */
  repo: HubRepo;
  queued: QueuedStart | null;
  /** Why the hub's last start of a queued run failed (shown until the next start or queue). */
  startError: string | null;
  watchers: FSWatcher[];
  watchKey: string;
  debounce: NodeJS.Timeout | null;
  /** Reads in flight are numbered; only the newest one's result is kept. */
  generation: number;
  /** The newest read: a superseded read waits for it, so its caller still sees a fresh card. */
  reading: Promise<void> | null;
  /** The card last handed to listeners (JSON). */
  published: string | null;
}

export interface OpenHubOptions {
  /** Overrides hub.yml's `max_concurrent_runs` (`--max-concurrent-runs`); null = no cap. */
  maxConcurrentRuns?: number | null;
  /**
   * Read and edit only (`car hub list/add/remove`): no watches, no timers, and queued starts are
   * left for the serving hub to launch.
   */
  passive?: boolean;
  /** Where a serving hub reports what it cannot raise to a caller (a broken hub.yml seen by the watch). */
  log?: (line: string) => void;
}

/**
 * Open the hub over `root`: read hub.yml (CONFIG_* when broken), discover, summarise every repo and
 * start watching. Queued starts left by an earlier hub are resumed as slots allow.
 */
export async function openHub(root: string, options: OpenHubOptions = {}): Promise<HubRegistry> {
  const hub = new HubRegistry(resolve(root), options);
  await hub.refresh();
  if (!options.passive) hub.watchManifest();
  return hub;
}

export class HubRegistry implements HubRegistryApi {
  readonly root: string;
  private readonly source: LocalRepoSource;
  private readonly capOverride: number | null | undefined;
  private readonly passive: boolean;
  private readonly log: ((line: string) => void) | undefined;
  /** The watch's last hub.yml error (logged once until it changes or hub.yml reads well again). */
  private manifestError: string | null = null;
  private entries = new Map<string, Entry>();
  private readonly listeners = new Set<(event: HubRegistryEvent) => void>();
  private manifestWatcher: FSWatcher | null = null;
  private manifestDebounce: NodeJS.Timeout | null = null;
  private liveTimer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  /** Starts and queue drains, one at a time: never two over the cap. */
  private startChain: Promise<unknown> = Promise.resolve();
  private drainPending = false;
  /** hub.yml edits and re-reads, one at a time. */
  private manifestChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(root: string, options: OpenHubOptions = {}) {
    this.root = root;
    this.source = new LocalRepoSource(root);
    this.capOverride = options.maxConcurrentRuns;
    this.passive = options.passive ?? false;
    this.log = options.log;
  }

  get maxConcurrentRuns(): number | null {
    return this.capOverride !== undefined
      ? this.capOverride
      : (this.source.manifest?.max_concurrent_runs ?? null);
  }

  get(id: string): HubRepoRef | undefined {
    return this.entries.get(id)?.ref;
  }

  async list(): Promise<HubReposBody> {
    await this.recheckRunners();
    return {
      root: this.root,
      max_concurrent_runs: this.maxConcurrentRuns,
      active_runs: this.activeRuns(),
      repos: this.cards().map(([, card]) => card),
    };
  }

  async summary(id: string): Promise<HubRepo | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.repo.running) await this.recheckRunners();
    return this.cards().find(([e]) => e === entry)?.[1];
  }

  async start(id: string, options: { once: boolean; force?: boolean }): Promise<HubStartResult> {
    const entry = this.require(id);
    return this.serial(async () => {
      await this.read(entry);
      const live = entry.repo.running;
      if (live && !options.force) {
        throw new CarError(
          "LOCK_HELD",
          `A runner (PID ${entry.repo.runner_pid}) is already running in ${entry.ref.path}; stop it first, or use force to take over.`,
          { ...(entry.repo.runner_pid !== null ? { pid: entry.repo.runner_pid } : {}), id },
        );
      }
      unusable(entry);
      // --force replaces this repo's live runner (no new slot); otherwise the queue goes first.
      const ahead = this.waiting().filter((e) => e !== entry).length;
      const free =
        live || startsAllowed(this.maxConcurrentRuns, await this.countLive(), this.inFlight) > ahead;
      if (free) {
        const pid = await this.launch(entry, options);
        return { running: true, pid, queued: null };
      }
      const queued: QueuedStart = {
        since: entry.queued?.since ?? new Date().toISOString(),
        once: options.once,
      };
      await writeQueuedStart(carPaths(entry.ref.path), queued);
      // What was written, not what some read in flight saw before: the position is taken from it now.
      entry.queued = queued;
      entry.startError = null;
      const position = this.positions().get(id);
      await this.read(entry);
      if (position === undefined)
        throw new CarError("INTERNAL", `The start queued in ${entry.ref.path} has no place in the queue.`, {
          id,
        });
      return { running: false, pid: null, queued: { since: queued.since, position } };
    });
  }

  /**
   * In the start chain: either before a drain reads queued.json (nothing launches, true) or after it
   * launched the runner (false: the caller stops that runner instead).
   */
  cancelQueued(id: string): Promise<boolean> {
    const entry = this.require(id);
    return this.serial(async () => {
      const cancelled = await clearQueuedStart(carPaths(entry.ref.path));
      await this.read(entry);
      return cancelled;
    });
  }

  add(path: string, options: { init?: boolean } = {}): Promise<HubRepo> {
    return this.manifestSerial(async () => {
      const { manifest } = await readHubManifest(this.source.paths);
      const abs = await checkNewRepoPath(this.source.paths, manifest, path);
      // A symlinked alias of a listed repo is that repo (its lock would count twice against the cap).
      const real = await realPathOf(abs);
      const reals = await Promise.all([...this.entries.values()].map((e) => realPathOf(e.ref.path)));
      const existing = [...this.entries.values()].find((e, i) => e.ref.path === abs || reals[i] === real);
      if (existing) {
        throw new CarError("HUB_REPO_EXISTS", `${abs} is already in the hub (id ${existing.ref.id}).`, {
          id: existing.ref.id,
          path: abs,
        });
      }
      await addToManifest(this.source.paths, abs, options);
      await this.reload();
      const card = this.cards().find(([e]) => e.ref.path === abs)?.[1];
      if (!card)
        throw new CarError("INTERNAL", `${abs} was added to hub.yml but is not listed.`, { path: abs });
      return card;
    });
  }

  /**
   * Refused (LOCK_HELD) while the repo's runner is alive: the hub would stop counting an agent that
   * keeps running. Its queued start is dropped. In the start chain too, so no drain launches it meanwhile.
   */
  remove(id: string): Promise<{ ref: HubRepoRef; excluded: boolean }> {
    return this.manifestSerial(() =>
      this.serial(async () => {
        const ref = this.require(id).ref;
        const paths = carPaths(ref.path);
        const lock = await lockStatus(paths.lock).catch(() => null);
        if (lock?.alive && lock.info && !lock.info.purpose) {
          throw new CarError(
            "LOCK_HELD",
            `A runner (PID ${lock.info.pid}) is running in ${ref.path}; stop it first (\`car stop\` there), then remove the repo.`,
            { pid: lock.info.pid, id, path: ref.path },
          );
        }
        await clearQueuedStart(paths).catch(() => false); // a repo that is gone has none
        const excluded = this.source.discovered.has(ref.path);
        await removeFromManifest(this.source.paths, ref.path, excluded);
        await this.reload();
        return { ref, excluded };
      }),
    );
  }

  refresh(): Promise<void> {
    return this.manifestSerial(() => this.reload());
  }

  subscribe(listener: (event: HubRegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    this.closed = true;
    this.manifestWatcher?.close();
    this.manifestWatcher = null;
    if (this.manifestDebounce) clearTimeout(this.manifestDebounce);
    this.manifestDebounce = null;
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
    for (const entry of this.entries.values()) closeEntry(entry);
    this.listeners.clear();
  }

  /**
   * Resolves when the start or queue drain in progress (if any) has finished: after close(), no runner
   * is being launched any more (a clean shutdown; tests remove the repos next).
   */
  settled(): Promise<void> {
    return this.startChain.then(() => {});
  }

  /** hub.yml changes (watching the root folder for its name) → re-read and re-discover. */
  watchManifest(): void {
    if (this.closed || this.manifestWatcher) return;
    try {
      this.manifestWatcher = watch(this.root, (_type, filename) => {
        if (filename !== null && String(filename) !== HUB_MANIFEST) return;
        if (this.manifestDebounce) return;
        this.manifestDebounce = setTimeout(() => {
          this.manifestDebounce = null;
          // A broken hub.yml keeps the last good list (`list()`/`refresh()` callers see the error);
          // the serving hub says so once per distinct error.
          this.refresh().then(
            () => {
              this.manifestError = null;
            },
            (err: unknown) => this.manifestFailed(err),
          );
        }, DEBOUNCE_MS);
      });
      this.manifestWatcher.on("error", () => {
        this.manifestWatcher?.close();
        this.manifestWatcher = null;
      });
    } catch {
      this.manifestWatcher = null;
    }
  }

  private manifestFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message === this.manifestError) return;
    this.manifestError = message;
    const file = this.source.paths.manifest;
    const named = message.includes(file) ? message : `${file}: ${message}`;
    this.log?.(`codex-autorunner hub: ${named}; keeping the last good list`);
  }

  // --- repos ---------------------------------------------------------------------------------------

  /** Re-read hub.yml and re-discover: new repos read and watched, gone ones closed, the rest re-read. */
  private async reload(): Promise<void> {
    const refs = await this.source.list();
    if (this.closed) return;
    const next = new Map<string, Entry>();
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      const ref = refs.find((r) => r.id === id);
      if (!ref || ref.path !== entry.ref.path) {
        closeEntry(entry);
        removed.push(id);
      }
    }
    for (const ref of refs) {
      const old = this.entries.get(ref.id);
      next.set(ref.id, old && old.ref.path === ref.path ? Object.assign(old, { ref }) : newEntry(ref));
    }
    this.entries = next;
    for (const id of removed)
      if (!next.has(id)) this.emit({ type: "removed", id, activeRuns: this.activeRuns() });
    await Promise.all([...next.values()].map((e) => this.read(e, false)));
    this.publish();
    this.updateLiveTimer();
    this.scheduleDrain();
  }

  /**
   * Re-read one repo and check its watches (folders come and go), then tell listeners about every
   * card that changed (queue positions of others move too) and start queued runs when a slot opened.
   */
  private read(entry: Entry, publish = true): Promise<void> {
    const reading = this.readOnce(entry, ++entry.generation, publish);
    entry.reading = reading;
    return reading;
  }

  private async readOnce(entry: Entry, generation: number, publish: boolean): Promise<void> {
    const before = entry.repo;
    const { repo, status } = await summariseRepo(entry.ref);
    if (this.entries.get(entry.ref.id) !== entry) return;
    if (generation !== entry.generation) {
      // A newer read began after this one: its result is kept, and this caller waits for it.
      await entry.reading?.catch(() => {});
      return;
    }
    entry.repo = repo;
    entry.queued = status?.queued ?? null;
    if (!this.closed && !this.passive) await this.syncWatches(entry);
    if (!publish || this.closed) return;
    this.publish();
    this.updateLiveTimer();
    if ((before.running && !repo.running) || (entry.queued && before.status !== "queued"))
      this.scheduleDrain();
  }

  private async syncWatches(entry: Entry): Promise<void> {
    const targets = await watchTargets(entry.ref.location.root);
    const key = JSON.stringify(targets);
    if (key === entry.watchKey) return;
    if (this.closed || this.entries.get(entry.ref.id) !== entry) return;
    for (const w of entry.watchers) w.close();
    entry.watchKey = key;
    entry.watchers = openWatchers(
      targets,
      () => this.changed(entry),
      () => {
        entry.watchKey = ""; // a failed watcher is opened again by the next read
        this.changed(entry);
      },
    );
  }

  /** A watched change: read the repo again after a short quiet time. */
  private changed(entry: Entry): void {
    if (this.closed || entry.debounce) return;
    entry.debounce = setTimeout(() => {
      entry.debounce = null;
      this.read(entry).catch(() => {});
    }, DEBOUNCE_MS);
  }

  /** The cards in list order, queue positions applied. */
  private cards(): Array<[Entry, HubRepo]> {
    const positions = this.positions();
    return [...this.entries.values()].map((e): [Entry, HubRepo] => {
      const position = positions.get(e.ref.id);
      const queued = e.queued && position !== undefined ? { ...e.queued, position } : null;
      const error = e.repo.error ?? e.startError;
      return [e, { ...e.repo, error, queued }];
    });
  }

  private positions(): Map<string, number> {
    return queuePositions(
      this.waiting().map((e) => ({ id: e.ref.id, since: (e.queued as QueuedStart).since })),
    );
  }

  /** Repos with a queued start and no live runner. */
  private waiting(): Entry[] {
    return [...this.entries.values()].filter((e) => e.queued !== null && !e.repo.running);
  }

  private publish(): void {
    const active = this.activeRuns();
    for (const [entry, card] of this.cards()) {
      const json = JSON.stringify(card);
      if (json === entry.published) continue;
      entry.published = json;
      this.emit({ type: "repo", repo: card, activeRuns: active });
    }
  }

  private emit(event: HubRegistryEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private activeRuns(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.repo.running) n++;
    return n;
  }

  // --- runners and the queue -----------------------------------------------------------------------

  /** Live runners among the repos, read now (a terminal `car run` counts). */
  private async countLive(): Promise<number> {
    const locks = await Promise.all(
      [...this.entries.values()].map((e) => lockStatus(carPaths(e.ref.path).lock).catch(() => null)),
    );
    return locks.filter((l) => l?.alive && !l.info?.purpose).length;
  }

  /** Repos shown as running whose runner has died since: read again. */
  private async recheckRunners(): Promise<void> {
    const running = [...this.entries.values()].filter((e) => e.repo.running);
    await Promise.all(
      running.map(async (e) => {
        const lock = await lockStatus(carPaths(e.ref.path).lock).catch(() => null);
        if (!lock?.alive) await this.read(e);
      }),
    );
  }

  /** The 2 s liveness check runs only while some runner is alive: an idle hub has no timer. */
  private updateLiveTimer(): void {
    const any = !this.closed && !this.passive && this.activeRuns() > 0;
    if (any && !this.liveTimer) {
      this.liveTimer = setInterval(() => {
        this.recheckRunners().catch(() => {});
      }, LIVENESS_MS);
    } else if (!any && this.liveTimer) {
      clearInterval(this.liveTimer);
      this.liveTimer = null;
    }
  }

  private async launch(entry: Entry, options: { once: boolean; force?: boolean }): Promise<number> {
    this.inFlight++;
    try {
      const { pid } = await startDetachedRunner(entry.ref.path, {
        once: options.once,
        ...(options.force ? { force: true } : {}),
      });
      entry.startError = null;
      // The runner removes it once it holds the lock; make sure before the card is read.
      await clearQueuedStart(carPaths(entry.ref.path)).catch(() => false);
      return pid;
    } finally {
      this.inFlight--;
      await this.read(entry).catch(() => {});
    }
  }

  private scheduleDrain(): void {
    if (this.drainPending || this.closed || this.passive) return;
    if (this.waiting().length === 0) return;
    this.drainPending = true;
    this.serial(async () => {
      this.drainPending = false;
      await this.drain();
    }).catch(() => {});
  }

  /** Start the oldest queued runs while the cap allows (inside the start chain). */
  private async drain(): Promise<void> {
    for (const entry of queueOrder(
      this.waiting().map((e) => ({ e, id: e.ref.id, since: (e.queued as QueuedStart).since })),
    )) {
      if (this.closed) return;
      if (startsAllowed(this.maxConcurrentRuns, await this.countLive(), this.inFlight) <= 0) return;
      const paths = carPaths(entry.e.ref.path);
      const queued = await readQueuedStart(paths); // cancelled meanwhile?
      if (!queued) {
        await this.read(entry.e);
        continue;
      }
      if (this.closed) return;
      try {
        await this.launch(entry.e, { once: queued.once });
      } catch (err) {
        // A start that cannot happen is not retried forever: dropped, its reason on the card.
        entry.e.startError = `queued start failed: ${(err as Error).message}`;
        await clearQueuedStart(paths).catch(() => false);
        await this.read(entry.e);
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.startChain.then(fn, fn);
    this.startChain = run.catch(() => {});
    return run;
  }

  private manifestSerial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.manifestChain.then(fn, fn);
    this.manifestChain = run.catch(() => {});
    return run;
  }

  private require(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry)
      throw new CarError("HUB_REPO_NOT_FOUND", `No repo with id ${JSON.stringify(id)} in the hub.`, { id });
    return entry;
  }
}

/**
 * A repo the hub cannot start a runner in (missing, uninitialised, broken config.yml): a bad request
 * (INVALID_ARGUMENT, 400) with the hub's reason, not the server-side error its runner would give.
 */
function unusable(entry: Entry): void {
  const { status, error } = entry.repo;
  if (status !== "missing" && status !== "uninitialised" && status !== "config_error") return;
  throw new CarError("INVALID_ARGUMENT", error ?? `${entry.ref.path} is ${status}.`, {
    id: entry.ref.id,
    path: entry.ref.path,
    status,
  });
}

function newEntry(ref: HubRepoRef): Entry {
  return {
    ref,
    repo: emptyHubRepo(ref),
    queued: null,
    startError: null,
    watchers: [],
    watchKey: "",
    debounce: null,
    generation: 0,
    reading: null,
    published: null,
  };
}

function closeEntry(entry: Entry): void {
  for (const w of entry.watchers) w.close();
  entry.watchers = [];
  entry.watchKey = "";
  if (entry.debounce) clearTimeout(entry.debounce);
  entry.debounce = null;
}
