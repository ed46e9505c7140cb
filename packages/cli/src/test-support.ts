// Helpers shared by the CLI tests (which run the BUILT dist/bin.js as a child process).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StatusReport } from "@codex-autorunner/core/node";
import { runCar } from "@codex-autorunner/testkit";

export const logPath = (root: string) => join(root, ".codex-autorunner", "codex-autorunner.log");
export const lockPath = (root: string) => join(root, ".codex-autorunner", "lock");
export const todoPath = (root: string) => join(root, ".codex-autorunner", "TODO.md");

export function readLog(root: string): string {
  const p = logPath(root);
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}

export function readState(root: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, ".codex-autorunner", "state.json"), "utf8")) as Record<
    string,
    unknown
  >;
}

/** `car status --json`, parsed; fails the test with stderr when the command fails. */
export async function statusJson(root: string): Promise<StatusReport> {
  const r = await runCar(["status", "--json"], { cwd: root });
  if (r.code !== 0) throw new Error(`car status --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReport;
}

/** PID the stand-in agent printed in `run`'s log block (`stand-in agent pid=N`), or null. */
export function agentPidFromLog(root: string, runId: number): number | null {
  const m = new RegExp(`run=${runId} stdout: stand-in agent pid=(\\d+)`).exec(readLog(root));
  return m ? Number(m[1]) : null;
}

/** Positions of the markers in the log, to check order. */
export function markerIndex(log: string, marker: string): number {
  return log.indexOf(`${marker}\n`);
}

export function killQuietly(pid: number | null): void {
  if (pid === null) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
