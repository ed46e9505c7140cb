import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LogReader } from "@codex-autorunner/core/node";
import { generateLog, TARGET_RUN_LINES } from "../lib/gen-log.mjs";
import { CLI_BIN } from "../lib/paths.mjs";
import { runOk } from "../lib/proc.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { repeat, row } from "../lib/results.mjs";

const MB = 1024 * 1024;
const GOAL = { on: "value", max: 100, text: "≤ 100 ms" };
const PREV_RUN_MAX_CHARS = 6000; // config default prompt.prev_run_max_chars

/**
 * Log lookups on synthetic logs of 10 MB, 100 MB and 1 GB (5,000 runs each): as whole `car log`
 * commands (the goal), and the same LogReader calls in-process (the lookup alone, without node's and
 * the CLI's start, so flatness shows through the noise of a shared machine), plus the loop's
 * previous-run extraction. Three views of the same log bytes:
 *   ours       – with the index LogWriter keeps beside the log
 *   orig       – the original's log as found: no index (deleted before every sample)
 *   orig 2nd   – the original's log on the 2nd lookup (the 1st, untimed, lets the reader index it)
 * The ratio column is each size's median over the 10 MB median of the same lookup and view.
 */
export default {
  name: "log-lookup",
  async run(ctx) {
    const sizes = ctx.quick ? [10, 100] : [10, 100, 1024];
    const rows = [];
    const small = new Map();
    // The floor under every whole command: node starting and exiting.
    const floor = await repeat(async () => (await runOk(process.execPath, ["-e", "0"])).ms, {
      reps: ctx.reps(7),
    });
    rows.push(
      row({
        caseName: "log-lookup",
        name: "node -e 0 (start floor of a command)",
        unit: "ms",
        samples: floor,
      }),
    );
    for (const mb of sizes) {
      const label = mb >= 1024 ? `${mb / 1024}GB` : `${mb}MB`;
      const repo = await makeRepo(join(ctx.tmp, `lookup-${label}`));
      ctx.progress(`log-lookup: generating ${label} log`);
      const g = await generateLog({ log: repo.log, index: repo.index, bytes: mb * MB });
      const saved = `${repo.index}.ours`;
      copyFileSync(repo.index, saved);

      const reader = () => new LogReader(repo.log, repo.index);
      const ops = [
        { op: "car log --run <last>", args: ["log", "--run", String(g.last)], run: g.last },
        { op: "car log --run <middle>", args: ["log", "--run", String(g.middle)], run: g.middle },
        { op: "car log --tail 100", args: ["log", "--tail", "100"], lines: 100, anyView: true },
        { op: "readRun(<last>) in-process", call: () => reader().readRun(g.last), run: g.last },
        { op: "readRun(<middle>) in-process", call: () => reader().readRun(g.middle), run: g.middle },
        { op: "tail(100) in-process", call: () => reader().tail(100), lines: 100, anyView: true },
        {
          op: "prevRunOutput(<last>) in-process",
          call: () => reader().prevRunOutput(g.last, PREV_RUN_MAX_CHARS),
          prev: g.last,
        },
      ];
      const views = [
        { view: "ours", before: () => copyFileSync(saved, repo.index), warm: false },
        { view: "orig", before: () => rmSync(repo.index, { force: true }), warm: false },
        { view: "orig 2nd", before: () => rmSync(repo.index, { force: true }), warm: true },
      ];
      for (const o of ops) {
        for (const v of views) {
          // tail never uses the index: one view; whole commands: ours and the original's first lookup.
          if (o.anyView && v.view !== "ours") continue;
          if (o.args && v.warm) continue;
          const once = async () => {
            if (o.call) {
              const t0 = performance.now();
              const out = await o.call();
              const ms = performance.now() - t0;
              checkOutput(o, out);
              return ms;
            }
            const r = await runOk(process.execPath, [CLI_BIN, ...o.args], {
              cwd: repo.root,
              timeoutMs: 120_000,
            });
            checkOutput(o, r.stdout);
            return r.ms;
          };
          const samples = await repeat(
            async () => {
              v.before();
              if (v.warm) await once();
              return once();
            },
            { reps: ctx.reps(o.call ? 7 : 5), budgetMs: 8000, minReps: 3 },
          );
          const key = `${o.op}|${v.view}`;
          const r = row({
            caseName: "log-lookup",
            name: `${o.op}, ${label}${o.anyView ? "" : `, ${v.view}`}`,
            unit: "ms",
            samples,
            baseline: mb === sizes[0] ? null : small.get(key),
            goal: GOAL,
          });
          if (mb === sizes[0]) small.set(key, r);
          rows.push(r);
          ctx.progress(`  ${r.name}: ${r.median.toFixed(1)} ms`);
        }
      }
      copyFileSync(saved, repo.index);
      rmSync(repo.root, { recursive: true, force: true });
    }
    return rows;
  },
};

function checkOutput(o, text) {
  const what = o.args ? `car ${o.args.join(" ")}` : o.op;
  if (o.prev !== undefined) {
    if (!text.includes(`run ${o.prev}:`)) throw new Error(`${what} returned the wrong text`);
    return;
  }
  const lines = (text ?? "").split("\n").filter((l) => l !== "");
  if (o.run !== undefined) {
    if (lines[0] !== `=== run ${o.run} start ===` || lines.length !== TARGET_RUN_LINES + 2) {
      throw new Error(`${what} gave ${lines.length} lines starting ${JSON.stringify(lines[0])}`);
    }
  } else if (lines.length !== o.lines) {
    throw new Error(`${what} gave ${lines.length} lines, expected ${o.lines}`);
  }
}
