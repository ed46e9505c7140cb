import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { CarError } from "../../errors.js";

/**
 * The lifeline: a tiny detached watcher started for each agent, holding the read end of a pipe whose
 * write end only the runner holds. However the runner dies (kill -9, OOM, a crash), the kernel closes
 * its end; the watcher reads EOF and ends every process of the run, so a dead runner takes its agent
 * with it. When the agent ended normally, the runner says "done" and the watcher just exits.
 * Protocol (lines on the watcher's stdin): `agent <pid>` once the agent started, `done` before EOF.
 */

export interface Lifeline {
  readonly pid: number;
  /** Tell the watcher the agent's pid (its process group, and all descendants, belong to the run). */
  agentStarted(pid: number): void;
  /** The run's processes are taken care of: the watcher exits without touching anything. */
  release(): void;
}

export function startLifeline(options: { marker: string; graceMs: number }): Lifeline {
  const child = spawn(
    process.execPath,
    [lifelineMainPath(), options.marker, String(Math.max(0, Math.round(options.graceMs)))],
    // Own session: Ctrl-C to the terminal's process group or a kill of the runner's group misses it.
    { cwd: "/", detached: true, stdio: ["pipe", "ignore", "ignore"] },
  );
  child.on("error", () => {});
  child.unref();
  const pipe = child.stdin as Writable & { unref?: () => void };
  pipe.on("error", () => {}); // the watcher died first: nothing to tell it
  pipe.unref?.();
  let released = false;
  return {
    pid: child.pid ?? -1,
    agentStarted(pid) {
      if (!released) pipe.write(`agent ${pid}\n`);
    },
    release() {
      if (released) return;
      released = true;
      pipe.end("done\n");
    },
  };
}

/** The built `lifeline-main.js` (dist/node/), found from here whether bundled or run from src/. */
export function lifelineMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, "lifeline-main.js"),
    join(here, "node", "lifeline-main.js"),
    join(here, "..", "lifeline-main.js"),
    join(here, "..", "..", "..", "dist", "node", "lifeline-main.js"),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new CarError(
      "INTERNAL",
      `lifeline-main.js not found next to ${here}; build @codex-autorunner/core (pnpm --filter @codex-autorunner/core build).`,
      { candidates },
    );
  }
  return found;
}

/** The live lifeline watchers of a run (their argv carries its marker): for diagnostics and tests. */
export function findLifelines(marker: string): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      try {
        const argv = readFileSync(`/proc/${n}/cmdline`, "utf8").split("\0");
        return argv[2] === marker && (argv[1] ?? "").endsWith("lifeline-main.js");
      } catch {
        return false;
      }
    })
    .map(Number);
}
