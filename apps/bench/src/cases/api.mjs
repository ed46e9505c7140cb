import { join } from "node:path";
import autocannon from "autocannon";
import { startChild } from "../lib/child.mjs";
import { generateLog } from "../lib/gen-log.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { row } from "../lib/results.mjs";

/**
 * API: requests/s of GET /api/state and GET /api/logs?tail=100 (on a 10 MB log) against our server,
 * vs a bare Hono hello-world on @hono/node-server, each server in its own process and measured by
 * autocannon (10 connections) from this one. Endpoints alternate within each repetition.
 * The ratio is ours / hello-world (1 = as fast as a server doing nothing).
 */
export default {
  name: "api",
  async run(ctx) {
    const duration = ctx.quick ? 3 : 5;
    const repo = await makeRepo(join(ctx.tmp, "api"));
    await generateLog({ log: repo.log, index: repo.index, bytes: 10 * 1024 * 1024 });
    const ours = await startChild("server", [repo.root]);
    const hello = await startChild("hono-hello");
    const targets = [
      { name: "hono hello-world GET /", url: `${hello.info.url}/` },
      { name: "GET /api/state", url: `${ours.info.url}/api/state` },
      { name: "GET /api/logs?tail=100", url: `${ours.info.url}/api/logs?tail=100` },
    ];
    const samples = targets.map(() => []);
    try {
      for (let rep = 0; rep < ctx.reps(3); rep++) {
        for (const [k, t] of targets.entries()) {
          const r = await autocannon({ url: t.url, connections: 10, duration });
          const bad = r.non2xx + r.errors + r.timeouts;
          if (bad > 0 || r.requests.total === 0)
            throw new Error(`${t.name}: ${bad} failed of ${r.requests.total} requests`);
          samples[k].push(r.requests.average);
          ctx.progress(`  ${t.name}: ${r.requests.average.toFixed(0)} req/s (p99 ${r.latency.p99} ms)`);
        }
      }
    } finally {
      await Promise.all([ours.stop(), hello.stop()]);
    }
    const base = row({ caseName: "api", name: targets[0].name, unit: "req/s", samples: samples[0] });
    return [
      base,
      ...targets
        .slice(1)
        .map((t, k) =>
          row({ caseName: "api", name: t.name, unit: "req/s", samples: samples[k + 1], baseline: base }),
        ),
    ];
  },
};
