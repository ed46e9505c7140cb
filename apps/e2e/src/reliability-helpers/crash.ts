import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { carBinPath, waitFor } from "@codex-autorunner/testkit";
import { expect } from "vitest";
import { killTree } from "./proc.js";
import type { ScenarioContext } from "./record.js";
import {
  endMarker,
  type ParsedLog,
  type Repo,
  readLog,
  reportsRunning,
  startMarkers,
  statusJson,
} from "./repo.js";

/**
 * Shared checks after a runner was killed with SIGKILL: whatever the point, the user must find a
 * truthful status, parseable files, and a loop that resumes with a fresh run id.
 */
export async function assertRecovers(
  repo: Repo,
  ctx: ScenarioContext,
  opts: { crashedRun: number | null },
): Promise<void> {
  // 1. status tells the truth: nobody is running.
  const status = await statusJson(repo);
  expect(reportsRunning(status), `car status after kill -9: ${JSON.stringify(status)}`).toBe(false);

  // 2. state.json parses (or is absent if the crash came before the first write).
  if (existsSync(repo.file("state"))) JSON.parse(readFileSync(repo.file("state"), "utf8"));

  // 3. the log is readable line by line.
  const before = readLog(repo);
  expect(before.malformed, "malformed log lines after the crash").toEqual([]);
  const maxBefore = Math.max(0, ...startMarkers(before));

  // 4. resume runs the next run id and closes the dangling run.
  const resumed = await repo.car(["resume", "--once"], { env: repo.env("silent") });
  expect(resumed.code, `car resume --once: ${resumed.stderr.slice(0, 400)}`).toBe(0);
  const after = readLog(repo);
  expect(after.malformed, "malformed log lines after resume").toEqual([]);
  const starts = startMarkers(after);
  const newRuns = starts.filter((id) => id > maxBefore);
  expect(newRuns.length, `resume started one new run after ${maxBefore}: ${starts.join(",")}`).toBe(1);
  assertWellFormed(after);
  if (opts.crashedRun !== null) {
    const end = endMarker(after, opts.crashedRun);
    expect(end?.code, `run ${opts.crashedRun} closed as interrupted`).toBe("interrupted");
    const record = join(repo.dir, "runs", `${opts.crashedRun}.json`);
    expect(existsSync(record), `runs/${opts.crashedRun}.json exists`).toBe(true);
    expect(JSON.parse(readFileSync(record, "utf8")).outcome, "run record outcome").toBe("interrupted");
    const newStart = after.markers.find((m) => m.kind === "start" && m.run === newRuns[0]);
    expect(end!.index).toBeLessThan(newStart!.index);
    ctx.note(`run ${opts.crashedRun} closed "(interrupted)", resume ran run ${newRuns[0]}`);
  } else {
    ctx.note(`no run was open; resume ran run ${newRuns[0]}`);
  }
  const state = JSON.parse(readFileSync(repo.file("state"), "utf8")) as Record<string, unknown>;
  expect(state.last_run_id).toBe(newRuns[0]);
  expect(state.status).toBe("idle");
  expect(existsSync(repo.file("lock")), "lock released after resume").toBe(false);
}

/** Every start has exactly one end after it, ids are unique, agent lines sit inside their block. */
export function assertWellFormed(log: ParsedLog): void {
  const starts = startMarkers(log);
  expect(new Set(starts).size, `duplicate run ids: ${starts.join(",")}`).toBe(starts.length);
  for (const id of starts) {
    const ends = log.markers.filter((m) => m.kind === "end" && m.run === id);
    expect(ends.length, `end markers of run ${id}`).toBe(1);
  }
  expect(log.outside, "agent lines outside their run block").toEqual([]);
}

export interface Traced {
  /** PID of strace; the runner is found through the lock. */
  pid: number;
  exited: Promise<number | null>;
  stderr(): string;
  kill(): void;
}

/**
 * `car <args>` under strace with every rename(2) delayed by `delayMs`: atomic writes (state.json, run
 * records) are all temp-file + rename, so each one opens a window the test can kill -9 inside.
 */
export function carUnderStrace(
  args: string[],
  opts: { cwd: string; env: Record<string, string>; delayMs: number },
): Traced {
  const child = spawn(
    "strace",
    [
      "-f",
      "-qq",
      "--seccomp-bpf",
      "-o",
      "/dev/null",
      "-e",
      "trace=rename,renameat,renameat2",
      "-e",
      `inject=rename,renameat,renameat2:delay_enter=${opts.delayMs}ms`,
      process.execPath,
      carBinPath(),
      ...args,
    ],
    {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let err = "";
  child.stdout!.resume();
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  // Without strace (apt-get install strace) this scenario cannot pick its kill point: say so plainly.
  child.on("error", (e) => {
    err += `cannot run strace: ${e.message}`;
  });
  return { pid: child.pid!, exited, stderr: () => err, kill: () => killTree(child.pid!) };
}

/** PID of the process holding the runner lock (our JSON lock or a bare PID). */
export async function lockHolder(repo: Repo, timeoutMs = 30_000): Promise<number> {
  return waitFor(
    () => {
      if (!existsSync(repo.file("lock"))) return null;
      const raw = readFileSync(repo.file("lock"), "utf8").trim();
      if (/^\d+$/.test(raw)) return Number(raw);
      try {
        return (JSON.parse(raw) as { pid: number }).pid;
      } catch {
        return null; // half-written: look again
      }
    },
    { timeoutMs, what: "runner lock to appear" },
  );
}
