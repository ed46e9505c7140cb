import { type FSWatcher, watch } from "node:fs";
import { basename } from "node:path";
import type { CarPaths } from "@codex-autorunner/core/node";
import { readStateBody, type StateBody } from "../routes/state.js";

const STATE_DEBOUNCE_MS = 40;

/**
 * The hub's state side: one watcher of `.codex-autorunner/` that re-reads the `GET /api/state` body
 * after a change (debounced, one read in flight) and hands it on only when it differs from the last.
 */
export class StateWatcher {
  private active = false;
  private paths: CarPaths | null = null;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private lastStateJson: string | null = null;
  private stateBusy = false;
  private stateDirty = false;

  constructor(
    private readonly root: string,
    private readonly onState: (body: StateBody) => void,
  ) {}

  /** Reads the state every subscriber starts from; later changes are compared against it. */
  async prime(): Promise<void> {
    this.lastStateJson = await readStateBody(this.root)
      .then((body) => JSON.stringify(body))
      .catch(() => null);
  }

  start(paths: CarPaths): void {
    this.paths = paths;
    this.watchDir();
    this.active = true;
  }

  stop(): void {
    this.active = false;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    this.lastStateJson = null;
  }

  /** Heartbeat: re-attach a lost watcher, and re-check liveness (a runner that died without touching
   * its files changes nothing on disk). */
  tick(): void {
    this.watchDir();
    void this.refresh();
  }

  private watchDir(): void {
    if (this.watcher || !this.paths) return;
    // Appends to the log (followed separately) and the runner's own output say nothing about state.
    const ignored = new Set([basename(this.paths.log), basename(this.paths.logIndex), "runner.out"]);
    try {
      const watcher = watch(this.paths.dir, (_event, filename) => {
        if (filename && ignored.has(filename.toString())) return;
        this.schedule();
      });
      watcher.on("error", () => {
        // The folder was deleted or became unreadable; the next heartbeat re-attaches.
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
        this.schedule();
      });
      this.watcher = watcher;
    } catch {
      this.watcher = null; // folder missing for now; retried on each heartbeat
    }
  }

  private schedule(): void {
    if (!this.active || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.refresh();
    }, STATE_DEBOUNCE_MS);
  }

  /** Re-reads status and hands it on when it changed (one read in flight at a time). */
  private async refresh(): Promise<void> {
    if (this.stateBusy) {
      this.stateDirty = true;
      return;
    }
    this.stateBusy = true;
    try {
      do {
        this.stateDirty = false;
        let body: StateBody;
        try {
          body = await readStateBody(this.root);
        } catch {
          continue; // e.g. state.json mid-rewrite by an older writer; the next change re-reads
        }
        const json = JSON.stringify(body);
        if (!this.active) return;
        if (json === this.lastStateJson) continue;
        this.lastStateJson = json;
        this.onState(body);
      } while (this.stateDirty && this.active);
    } finally {
      this.stateBusy = false;
    }
  }
}
