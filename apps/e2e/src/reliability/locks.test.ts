import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect } from "vitest";
import { isLive, killTree } from "../reliability-helpers/proc.js";
import { scenario } from "../reliability-helpers/record.js";
import { endMarker, makeRepo, readLog, reportsRunning, statusJson } from "../reliability-helpers/repo.js";

const G = "Stale locks";

function deadPid(): number {
  const r = spawnSync("true");
  return r.pid!;
}

/** Field 22 of /proc/<pid>/stat: the kernel's start time, what the lock records as pid_start. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

function liveUnrelated(): number {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  return child.pid!;
}

describe(G, () => {
  const cases: Array<[string, string, (pid: number) => string, () => number]> = [
    [
      "lock (JSON) left by a dead PID",
      "lock names a PID that has exited",
      (pid) =>
        JSON.stringify({ pid, host: hostname(), started_at: "2026-01-01T00:00:00Z", pid_start: "12345" }),
      deadPid,
    ],
    [
      "lock (bare PID, the original's format) left by a dead PID",
      "lock file holds just a dead PID",
      (pid) => `${pid}\n`,
      deadPid,
    ],
    [
      "lock whose PID was reused by a live unrelated process",
      "JSON lock naming a live `sleep` process but with another start time (as after PID reuse)",
      (pid) =>
        JSON.stringify({
          pid,
          host: hostname(),
          started_at: "2026-01-01T00:00:00Z",
          pid_start: String(Number(startTime(pid)) - 1),
        }),
      liveUnrelated,
    ],
  ];
  for (const [name, provoked, body, pidOf] of cases) {
    scenario(G, `${name} is treated as stale`, provoked, async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const pid = pidOf();
      ctx.defer(() => killTree(pid));
      writeFileSync(repo.file("lock"), body(pid));
      const st = await statusJson(repo);
      expect(reportsRunning(st), JSON.stringify(st)).toBe(false);
      const r = await repo.car(["once"], { env: repo.env("silent") });
      expect(r.code, r.stderr).toBe(0);
      expect(endMarker(readLog(repo), 1)?.code).toBe(0);
      expect(existsSync(repo.file("lock")), "our lock released").toBe(false);
      if (isLive(pid)) ctx.note("unrelated process untouched");
      expect(isLive(pid)).toBe(pidOf === liveUnrelated);
      ctx.note("status not running; `car once` replaced the lock and ran run 1");
    });
  }

  scenario(
    G,
    "bare-PID lock naming a live process is respected; --force takes over",
    "original-format lock (no start time, so reuse is undetectable) naming a live `sleep` process",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const pid = liveUnrelated();
      ctx.defer(() => killTree(pid));
      writeFileSync(repo.file("lock"), `${pid}\n`);
      const r = await repo.car(["once"], { env: repo.env("silent") });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(String(pid));
      expect(readFileSync(repo.file("lock"), "utf8")).toBe(`${pid}\n`);
      const forced = await repo.car(["resume", "--once", "--force"], { env: repo.env("silent") });
      expect(forced.code, forced.stderr).toBe(0);
      expect(endMarker(readLog(repo), 1)?.code).toBe(0);
      expect(isLive(pid), "the unrelated process is not killed").toBe(true);
      ctx.note("refused naming the PID (cannot tell reuse without a start time); --force ran run 1");
    },
  );
});
