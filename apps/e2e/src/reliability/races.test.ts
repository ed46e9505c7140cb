import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SpawnedCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { describe, expect } from "vitest";
import { lockHolder } from "../reliability-helpers/crash.js";
import { json, request, startCarServe } from "../reliability-helpers/http.js";
import { isLive, killTree } from "../reliability-helpers/proc.js";
import { scenario } from "../reliability-helpers/record.js";
import { endMarker, makeRepo, type Repo, readLog, startMarkers } from "../reliability-helpers/repo.js";

const G = "Races";

function agentsStarted(repo: Repo): number {
  return readdirSync(repo.side).filter((f) => f.startsWith("started-")).length;
}

describe(G, () => {
  scenario(
    G,
    "20 `car once` started at the same moment: exactly one runs",
    "20 processes spawned back to back; the winner's gate agent holds the run until all others have exited",
    async (ctx) => {
      const repo = makeRepo();
      ctx.defer(() => repo.cleanup());
      const cars: SpawnedCar[] = [];
      for (let i = 0; i < 20; i++)
        cars.push(
          spawnCar(["once", "--repo", repo.root], {
            cwd: repo.root,
            env: repo.env("gate"),
            timeoutMs: 120_000,
          }),
        );
      ctx.defer(() => {
        for (const c of cars) killTree(c.pid);
      });
      const exited = new Map<number, Awaited<SpawnedCar["exited"]>>();
      cars.forEach((c) => void c.exited.then((r) => exited.set(c.pid, r)));
      await waitFor(() => exited.size >= 19, { timeoutMs: 100_000, what: "19 losers to exit" });
      const holder = await lockHolder(repo);
      const winners = cars.filter((c) => !exited.has(c.pid));
      expect(
        winners.map((c) => c.pid),
        "the one still running holds the lock",
      ).toEqual([holder]);
      let named = 0;
      for (const [pid, r] of exited) {
        expect(r.code, `loser ${pid}: ${r.stderr.slice(0, 300)}`).toBe(1);
        if (r.stderr.includes(String(holder))) named++;
      }
      expect(named, "losers whose error names the holder's PID").toBe(19);
      await waitFor(() => agentsStarted(repo) >= 1, {
        timeoutMs: 60_000,
        what: "the winner's agent to start",
      });
      expect(agentsStarted(repo)).toBe(1);
      writeFileSync(join(repo.side, "release"), "");
      const win = await winners[0]!.exited;
      expect(win.code, win.stderr).toBe(0);
      const log = readLog(repo);
      expect(startMarkers(log)).toEqual([1]);
      expect(endMarker(log, 1)?.code).toBe(0);
      expect(existsSync(repo.file("lock"))).toBe(false);
      ctx.note(`1 ran (PID ${holder}), 19 exited 1 naming it; one run in the log`);
    },
  );

  scenario(
    G,
    "`car run` racing POST /api/run/start: one runner",
    "`car run` (stop_after_runs 1) and the API's start fired together against the same repo; gate agents record every start",
    async (ctx) => {
      const repo = makeRepo({ config: { runner: { stop_after_runs: 1 } } });
      ctx.defer(() => repo.cleanup());
      const server = await startCarServe(repo, { env: repo.env("gate") });
      ctx.defer(() => server.stop());
      const car = spawnCar(["run", "--quiet", "--repo", repo.root], {
        cwd: repo.root,
        env: repo.env("gate"),
        timeoutMs: 120_000,
      });
      ctx.defer(() => killTree(car.pid));
      let carExit: Awaited<SpawnedCar["exited"]> | null = null;
      void car.exited.then((r) => {
        carExit = r;
      });
      const api = await request(server.port, "/api/run/start", {
        method: "POST",
        body: JSON.stringify({ once: true }),
        headers: { "content-type": "application/json" },
      });
      expect([202, 409], api.text).toContain(api.status);
      const apiBody = json(api);
      const holder = await lockHolder(repo);
      ctx.defer(() => killTree(holder));
      await waitFor(() => agentsStarted(repo) >= 1, { timeoutMs: 60_000, what: "an agent to start" });
      let winner: string;
      if (holder === car.pid) {
        winner = "car run";
        // The API either refused (409 naming the PID) or launched a runner that must give up by itself.
        if (api.status === 409) expect(JSON.stringify(apiBody)).toContain(String(car.pid));
        else
          await waitFor(() => !isLive(Number(apiBody.pid)), {
            timeoutMs: 60_000,
            what: "the API's runner to give up",
          });
      } else {
        winner = "API";
        expect(api.status).toBe(202);
        const r = await car.exited;
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(String(holder));
      }
      expect(agentsStarted(repo), "agents started").toBe(1);
      writeFileSync(join(repo.side, "release"), "");
      await waitFor(() => !existsSync(repo.file("lock")) && !isLive(holder), {
        timeoutMs: 60_000,
        what: "the run to finish",
      });
      await car.exited;
      expect(startMarkers(readLog(repo))).toEqual([1]);
      expect(agentsStarted(repo)).toBe(1);
      ctx.note(`${winner} won (API said ${api.status}); one run, one agent`);
      void carExit;
    },
  );
});
