import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { RUN_MARKER_ENV } from "../../proc/marker.js";
import { lifelineMainPath } from "./lifeline.js";
import { newRunMarker } from "./marker.js";
import { findRunProcesses, isProcessAlive } from "./procfs.js";

// The watcher is the built dist/node/lifeline-main.js: `pnpm --filter @codex-autorunner/core build` first.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      if (c.pid) process.kill(c.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

function track<T extends ChildProcess>(c: T): T {
  started.push(c);
  return c;
}

/** A process of the run: carries the marker, in its own session (like a codex tool call). */
async function markedSleeper(marker: string): Promise<number> {
  const c = track(
    spawn("sh", ["-c", "echo ready; exec sleep 30"], {
      env: { ...process.env, [RUN_MARKER_ENV]: marker },
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  await new Promise((r) => c.stdout?.once("data", r));
  return c.pid as number;
}

function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null
    ? Promise.resolve(c.exitCode)
    : new Promise((r) => c.once("exit", (code) => r(code)));
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the lifeline watcher", () => {
  it("ends the run's processes when its pipe closes without `done` (the runner died)", async () => {
    const marker = newRunMarker();
    const pid = await markedSleeper(marker);
    const watcher = track(
      spawn(process.execPath, [lifelineMainPath(), marker, "2000"], { stdio: ["pipe", "ignore", "ignore"] }),
    );
    watcher.stdin?.end(); // EOF: what the kernel does when the runner dies
    expect(await exited(watcher)).toBe(0);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("leaves everything alone after `done`", async () => {
    const marker = newRunMarker();
    const pid = await markedSleeper(marker);
    const watcher = track(
      spawn(process.execPath, [lifelineMainPath(), marker, "2000"], { stdio: ["pipe", "ignore", "ignore"] }),
    );
    watcher.stdin?.end("done\n");
    expect(await exited(watcher)).toBe(0);
    expect(isProcessAlive(pid)).toBe(true);
  });

  it("kill -9 of the process that started it: within seconds nothing of the run is left", async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), "car-lifeline-"));
    try {
      const marker = newRunMarker();
      // A stand-in runner: starts a lifeline, then an agent with the marker that starts a background job.
      const index = pathToFileURL(join(lifelineMainPath(), "..", "index.js")).href;
      const runner = join(dir, "runner.mjs");
      await fsp.writeFile(
        runner,
        `import { spawn } from "node:child_process";
import { startLifeline } from ${JSON.stringify(index)};
const life = startLifeline({ marker: ${JSON.stringify(marker)}, graceMs: 1000 });
const agent = spawn("sh", ["-c", "setsid sleep 30 & exec sleep 31"], {
  env: { ...process.env, ${RUN_MARKER_ENV}: ${JSON.stringify(marker)} }, detached: true, stdio: "ignore" });
life.agentStarted(agent.pid);
console.log("ready");
setInterval(() => {}, 1000);
`,
      );
      const r = track(spawn(process.execPath, [runner], { stdio: ["ignore", "pipe", "inherit"] }));
      // A runner that cannot start (e.g. an export missing from the build) fails here, not at the timeout.
      const up = await new Promise<boolean>((res) => {
        r.stdout?.once("data", () => res(true));
        r.once("exit", () => res(false));
      });
      expect(up, "the stand-in runner started").toBe(true);
      await until(() => findRunProcesses({ marker }).length === 2, "the agent and its background job");
      r.kill("SIGKILL");
      await until(() => findRunProcesses({ marker }).length === 0, "the lifeline to end the run", 10_000);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
