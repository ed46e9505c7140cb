import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "vitest";

/**
 * Every reliability scenario runs through `scenario()`, which appends one JSON line to
 * `apps/e2e/artifacts/reliability.jsonl` (gitignored). `scripts/reliability-report.mjs` turns that
 * file into docs/reliability.md, so the committed table always comes from a real run.
 */

export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "artifacts");
export const RESULTS_FILE = join(ARTIFACTS_DIR, "reliability.jsonl");

export interface ScenarioRecord {
  group: string;
  scenario: string;
  provoked: string;
  passed: boolean;
  /** What was observed (pass) or the assertion that failed. */
  result: string;
  /** Generated inputs this scenario fed to the product (property runs, fuzzed requests, ...). */
  fuzzed: number;
  /** Items of user data found lost or changed; must be 0. */
  lost: number;
  metrics: Record<string, number | string>;
  at: string;
  durationMs: number;
}

export interface ScenarioContext {
  /** A short observation for the report's result column. */
  note(text: string): void;
  metric(name: string, value: number | string): void;
  fuzzed(count: number): void;
  /** Count of user-data items checked and found intact is implicit; call this with what was lost. */
  lost(count: number): void;
  /** Runs after the scenario (LIFO), pass or fail: kill processes, remove temp dirs. */
  defer(fn: () => unknown | Promise<unknown>): void;
}

export function record(rec: ScenarioRecord): void {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  appendFileSync(RESULTS_FILE, `${JSON.stringify(rec)}\n`);
}

/** A vitest test that records its outcome. `provoked` says how the scenario is caused. */
export function scenario(
  group: string,
  name: string,
  provoked: string,
  fn: (ctx: ScenarioContext) => Promise<void> | void,
  timeoutMs = 120_000,
): void {
  it(
    name,
    async () => {
      const notes: string[] = [];
      const metrics: Record<string, number | string> = {};
      const deferred: Array<() => unknown | Promise<unknown>> = [];
      let fuzzed = 0;
      let lost = 0;
      const ctx: ScenarioContext = {
        note: (t) => notes.push(t),
        metric: (k, v) => {
          metrics[k] = v;
        },
        fuzzed: (n) => {
          fuzzed += n;
        },
        lost: (n) => {
          lost += n;
        },
        defer: (f) => deferred.push(f),
      };
      const started = Date.now();
      let failure: unknown = null;
      try {
        await fn(ctx);
      } catch (err) {
        failure = err;
      }
      for (const f of deferred.reverse()) {
        try {
          await f();
        } catch {
          // cleanup is best effort; the scenario's own outcome is what counts
        }
      }
      const firstLine = (e: unknown) =>
        (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join(" ").slice(0, 300);
      record({
        group,
        scenario: name,
        provoked,
        passed: failure === null,
        result: failure === null ? notes.join("; ") || "as expected" : `FAILED: ${firstLine(failure)}`,
        fuzzed,
        lost,
        metrics,
        at: new Date().toISOString(),
        durationMs: Date.now() - started,
      });
      if (failure !== null) throw failure;
    },
    timeoutMs,
  );
}
