import { spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { carPaths, readState, writeFileAtomic } from "@codex-autorunner/core/node";
import { CLI_BIN } from "../lib/paths.mjs";
import { cpuMs, fdCount, memKB } from "../lib/proc.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { row } from "../lib/results.mjs";
import { quantile } from "../lib/stats.mjs";

// Env overrides for quick local runs / diagnostics; the recorded run uses the defaults.
const REPOS = Number(process.env.BENCH_HUB_REPOS ?? 200);
const IDLE_SECONDS_ENV = process.env.BENCH_HUB_IDLE_SECONDS;
const REQUESTS = 200;
const WARMUP = 20;
const CHANGES = 20;

/**
 * Hub (issue 14): `car hub serve` (the built CLI, its own process) over 200 registered idle repos
 * (copies of one `car init` repo, found by discovery). Measures `GET /hub/repos` latency (sequential
 * requests on one keep-alive connection after a warm-up), the latency from an atomic state.json change
 * in one repo to its `repo` event on `/hub/stream`, the hub's CPU over an idle window (60 s; one
 * `/hub/stream` subscriber connected, as an open hub page would be) from /proc/<pid>/stat, and its RSS.
 * Goals: p95 ≤ 50 ms, every change on the stream within 1 s, ≤ 1% of one core idle, RSS ≤ 150 MB.
 */
export default {
  name: "hub",
  async run(ctx) {
    const idleSeconds = Number(IDLE_SECONDS_ENV ?? (ctx.quick ? 15 : 60));
    const hubRoot = join(ctx.tmp, "hub");
    const template = await makeRepo(join(ctx.tmp, "hub-template"));
    for (let i = 0; i < REPOS; i++)
      cpSync(template.root, join(hubRoot, `repo-${String(i).padStart(3, "0")}`), { recursive: true });
    ctx.progress(`  hub: ${REPOS} repos under ${hubRoot}`);

    const t0 = performance.now();
    const hub = await startHub(hubRoot);
    const rows = [];
    let stream = null;
    try {
      const first = await waitForRepos(hub, REPOS);
      const startMs = performance.now() - t0;
      ctx.progress(`  hub: serving ${first.repos.length} repos ${startMs.toFixed(0)} ms after spawn`);
      rows.push(
        row({
          caseName: "hub",
          name: `start → /hub/repos lists ${REPOS} repos`,
          unit: "ms",
          samples: [startMs],
        }),
      );

      // GET /hub/repos: sequential requests on one keep-alive connection, after a warm-up.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const p50s = [];
      const p95s = [];
      const all = [];
      for (let i = 0; i < WARMUP; i++) await getRepos(hub, agent);
      for (let rep = 0; rep < ctx.reps(3); rep++) {
        const ms = [];
        for (let i = 0; i < REQUESTS; i++) {
          const t = performance.now();
          const body = await getRepos(hub, agent);
          ms.push(performance.now() - t);
          if (body.repos.length !== REPOS) throw new Error(`/hub/repos listed ${body.repos.length} repos`);
        }
        p50s.push(quantile(ms, 0.5));
        p95s.push(quantile(ms, 0.95));
        all.push(...ms);
        ctx.progress(
          `  GET /hub/repos rep ${rep + 1}: p50 ${p50s.at(-1).toFixed(1)} ms, p95 ${p95s.at(-1).toFixed(1)} ms`,
        );
      }
      agent.destroy();
      const what = `${REPOS} repos, ${REQUESTS} sequential requests per rep`;
      rows.push(
        row({ caseName: "hub", name: `GET /hub/repos p50, ${what}`, unit: "ms", samples: p50s }),
        row({
          caseName: "hub",
          name: `GET /hub/repos p95, ${what}`,
          unit: "ms",
          samples: p95s,
          goal: { on: "value", max: 50, text: "≤ 50 ms" },
          note: `max of all ${all.length} requests ${Math.max(...all).toFixed(1)} ms; body ≈ ${(JSON.stringify(first).length / 1024).toFixed(0)} KB`,
        }),
      );

      // A state change in one repo → its `repo` event on /hub/stream.
      stream = subscribeHub(hub);
      await stream.ready;
      const latencies = [];
      for (let i = 0; i < CHANGES; i++) {
        const id = `repo-${String((i * 37) % REPOS).padStart(3, "0")}`;
        const paths = carPaths(join(hubRoot, id));
        const state = await readState(paths);
        const runId = (state.last_run_id ?? 0) + 1;
        const now = new Date().toISOString();
        const next = {
          ...state,
          last_run_id: runId,
          last_exit_code: 0,
          last_run_started_at: now,
          last_run_finished_at: now,
        };
        const arrived = stream.next((e) => e.event === "repo" && e.data.repo.id === id, 10_000);
        const t = performance.now();
        await writeFileAtomic(paths.state, `${JSON.stringify(next, null, 2)}\n`);
        const event = await arrived;
        latencies.push(event.at - t);
        if (event.data.repo.last_run?.id !== runId)
          throw new Error(
            `${id}: the repo event shows last run ${event.data.repo.last_run?.id}, not ${runId}`,
          );
        await new Promise((r) => setTimeout(r, 250)); // past the hub's debounce: one change per event
      }
      ctx.progress(
        `  change → stream: p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p95 ${quantile(latencies, 0.95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
      );
      rows.push(
        row({
          caseName: "hub",
          name: `state.json change → repo event on /hub/stream, ${CHANGES} changes`,
          unit: "ms",
          samples: latencies,
          goal: { on: "value", max: 1000, text: "≤ 1 s (every change)", stat: "max" },
          note: `p95 ${quantile(latencies, 0.95).toFixed(0)} ms`,
        }),
      );

      // Idle: nothing changes, one stream subscriber stays connected.
      await new Promise((r) => setTimeout(r, 2000));
      const cpu0 = cpuMs(hub.pid);
      const w0 = performance.now();
      const events0 = stream.count;
      ctx.progress(`  hub: idle for ${idleSeconds} s`);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const idleCpuMs = cpuMs(hub.pid) - cpu0;
      const idlePct = (idleCpuMs / (performance.now() - w0)) * 100;
      const mem = memKB(hub.pid);
      const fd = fdCount(hub.pid);
      rows.push(
        row({
          caseName: "hub",
          name: `idle CPU, ${REPOS} repos, ${idleSeconds} s, 1 stream subscriber`,
          unit: "% core",
          samples: [idlePct],
          goal: { on: "value", max: 1, text: "≤ 1% of a core" },
          note: `${idleCpuMs} ms of CPU (counted in 10 ms ticks); ${stream.count - events0} stream events meanwhile (pings); ${fd.fds} open fds, ${fd.watches} inotify watches`,
        }),
        row({
          caseName: "hub",
          name: `hub RSS (VmRSS) after the case, ${REPOS} repos`,
          unit: "MB",
          samples: [mem.rss / 1024],
          goal: { on: "value", max: 150, text: "≤ 150 MB" },
          note: `peak (VmHWM) ${(mem.hwm / 1024).toFixed(0)} MB`,
        }),
      );
      ctx.progress(`  hub: idle ${idlePct.toFixed(2)}% of a core, RSS ${(mem.rss / 1024).toFixed(0)} MB`);
    } finally {
      stream?.close();
      await hub.stop();
    }
    return rows;
  },
};

/** The built `car hub serve` on a free port; its token from the printed URL (else its token file). */
async function startHub(root) {
  const env = { ...process.env };
  delete env.CAR_AUTH_TOKEN; // the hub makes its own token (the default a user gets)
  const child = spawn(
    process.execPath,
    [CLI_BIN, "hub", "serve", "--root", root, "--host", "127.0.0.1", "--port", "0"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], env },
  );
  let out = "";
  child.stdout.on("data", (b) => {
    out += b;
  });
  child.stderr.on("data", (b) => {
    out += b;
  });
  const exited = new Promise((r) => child.once("exit", r));
  const deadline = Date.now() + 60_000;
  let url = null;
  while (!url) {
    url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? null;
    if (child.exitCode !== null)
      throw new Error(`car hub serve exited ${child.exitCode}: ${out.slice(-1500)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`car hub serve printed no URL within 60 s: ${out.slice(-1500)}`);
    }
    if (!url) await new Promise((r) => setTimeout(r, 20));
  }
  const tokenFile = join(root, ".car-hub", "server-token");
  const token =
    /\?token=([A-Za-z0-9_-]+)/.exec(out)?.[1] ??
    (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "");
  return {
    url,
    token,
    pid: child.pid,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(kill);
    },
  };
}

function getRepos(hub, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${hub.url}/hub/repos`,
      { agent, headers: { authorization: `Bearer ${hub.token}` } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200)
            return reject(new Error(`/hub/repos: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          resolve(JSON.parse(text));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
  });
}

/** Polls /hub/repos until it lists `n` repos (the hub discovers them at start). */
async function waitForRepos(hub, n) {
  const agent = new http.Agent({ keepAlive: false });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const body = await getRepos(hub, agent).catch(() => null);
    if (body && body.repos.length >= n) return body;
    if (Date.now() > deadline)
      throw new Error(
        `/hub/repos listed ${body?.repos.length ?? "nothing"} of ${n} repos after 120 s: ${hub.output().slice(-1000)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real subscriber on /hub/stream: parses frames into { event, data, at } (at = arrival time,
 * performance.now()); `next(pred, ms)` resolves with the first later event matching `pred`.
 * `ready` resolves with the first frame (the `repos` snapshot).
 */
function subscribeHub(hub) {
  const waiters = [];
  const sub = { count: 0, ready: null, next: null, close: null };
  let req = null;
  sub.ready = new Promise((resolveReady, rejectReady) => {
    req = http.get(
      `${hub.url}/hub/stream`,
      { headers: { accept: "text/event-stream", authorization: `Bearer ${hub.token}` }, agent: false },
      (res) => {
        if (res.statusCode !== 200) return rejectReady(new Error(`/hub/stream: HTTP ${res.statusCode}`));
        res.setEncoding("utf8");
        let carry = "";
        res.on("data", (chunk) => {
          const at = performance.now();
          const frames = (carry + chunk).split("\n\n");
          carry = frames.pop();
          for (const frame of frames) {
            let event = "message";
            const data = [];
            for (const line of frame.split("\n")) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
            }
            if (data.length === 0) continue;
            const e = { event, data: JSON.parse(data.join("\n")), at };
            sub.count++;
            resolveReady(e);
            for (const w of [...waiters]) {
              if (w.pred(e)) {
                waiters.splice(waiters.indexOf(w), 1);
                clearTimeout(w.timer);
                w.resolve(e);
              }
            }
          }
        });
        res.on("error", () => {});
      },
    );
    req.on("error", rejectReady);
  });
  sub.next = (pred, ms) =>
    new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no matching /hub/stream event within ${ms} ms`));
      }, ms);
      waiters.push(w);
    });
  sub.close = () => req?.destroy();
  return sub;
}
