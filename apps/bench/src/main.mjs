#!/usr/bin/env node
// `pnpm bench`: builds what it needs, runs each case several times, prints a table (median, min, max,
// ratio to the case's in-run baseline, goal) or JSON. See apps/bench/README.md.
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { CASES, parseArgs, USAGE } from "./lib/args.mjs";
import { buildWorkspace, missingProducts } from "./lib/build.mjs";
import { renderTable } from "./lib/table.mjs";
import { benchTmp } from "./lib/tmp.mjs";

const fail = (msg) => {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
};
let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  fail(err.message);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const progress = (msg) => process.stderr.write(`${msg}\n`);
// A full case name picks that case only (`memory` is also part of `message-memory`).
const picks = (c, n) => (CASES.includes(n) ? c === n : c.includes(n) || n.includes(c));
const selected = opts.cases.length ? CASES.filter((c) => opts.cases.some((n) => picks(c, n))) : CASES;
if (selected.length === 0) fail(`no case matches ${opts.cases.join(", ")}; cases: ${CASES.join(", ")}`);

const missing = opts.build ? await buildWorkspace(progress) : missingProducts();
if (missing.length) progress(`missing products (cases needing them will fail): ${missing.join(", ")}`);

const tmp = benchTmp(opts.keepData);
if (opts.keepData) progress(`data kept in ${tmp}`);
const ctx = {
  quick: opts.quick,
  tmp,
  progress,
  reps: (dflt) => opts.reps ?? (opts.quick ? Math.min(3, dflt) : dflt),
};

const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  memTotalGB: +(totalmem() / 2 ** 30).toFixed(1),
  memFreeGB: +(freemem() / 2 ** 30).toFixed(1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadavgStart: loadavg().map((l) => +l.toFixed(2)),
};
const started = new Date().toISOString();
const rows = [];
const failures = [];
for (const name of selected) {
  progress(`== ${name}`);
  const t0 = performance.now();
  try {
    const mod = await import(`./cases/${name}.mjs`);
    rows.push(...(await mod.default.run(ctx)));
  } catch (err) {
    failures.push({ case: name, error: err instanceof Error ? err.message : String(err) });
    progress(`${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  }
  progress(`== ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const table = renderTable(rows);
machine.loadavgEnd = loadavg().map((l) => +l.toFixed(2));
const header =
  `codex-autorunner bench ${opts.quick ? "(--quick) " : ""}${started} — ${machine.cpus}× ${machine.cpu}, ` +
  `${machine.memTotalGB} GB RAM, node ${machine.node}, load average ${machine.loadavgStart.join(" ")} at start, ` +
  `${machine.loadavgEnd.join(" ")} at end`;
const failText = failures.map((f) => `FAILED ${f.case}: ${f.error}`).join("\n");
if (opts.json) {
  process.stderr.write(`${header}\n${table}\n${failText}\n`);
  process.stdout.write(
    `${JSON.stringify({ started, quick: opts.quick, machine, rows, failures }, null, 2)}\n`,
  );
} else {
  process.stdout.write(`${header}\n\n${table}\n${failText ? `\n${failText}\n` : ""}`);
}
process.exitCode = failures.length ? 1 : 0;
