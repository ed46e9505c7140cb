import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  codexArgsFor,
  codexBinaryPath,
  codexEnvFor,
  makeCodexHome,
  startModelServer,
  tickingModel,
} from "@codex-autorunner/testkit";
import { AGENTS, CLI_BIN } from "../lib/paths.mjs";
import { runOk } from "../lib/proc.mjs";
import { makeRepo } from "../lib/repo.mjs";
import { row } from "../lib/results.mjs";

const ITEMS = ["first task", "second task", "third task"];
/** Runs the real codex and records its start and end (see the script). */
const TIMED_CODEX = join(AGENTS, "timed-codex.sh");

/** Wall clock in ms with sub-ms precision, comparable with `date +%s%N`. */
const wallMs = () => performance.timeOrigin + performance.now();

/** [start, end] in ms of every codex process, in order, from the timed-codex file. */
function codexSpans(file) {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" ").map((ns) => Number(BigInt(ns) / 1000n) / 1000));
}

function checkTicked(repo, who) {
  const todo = readFileSync(join(repo.dir, "TODO.md"), "utf8");
  for (const item of ITEMS)
    if (!todo.includes(`- [x] ${item}`)) throw new Error(`${who} did not tick "${item}":\n${todo}`);
}

/** A repo of the loop with a first commit, as a user's repo has (the progress check diffs against HEAD). */
async function loopRepo(root, opts) {
  const repo = await makeRepo(root, opts);
  const git = (...args) => runOk("git", args, { cwd: root });
  await git("add", "-A");
  await git("-c", "user.name=car bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "start");
  return repo;
}

/**
 * One loop over the 3-item TODO, timed as a whole: `start` is when its process was spawned.
 * Returns { own, codex, first, between, last } in ms: own = wall time minus the time inside codex;
 * first = spawn → first codex start, between = mean gap between codex runs, last = last codex end → exit.
 */
async function timedLoop(repo, cmd, args, env, who) {
  const times = `${repo.root}.codex-times`; // outside the work tree, which car fingerprints
  rmSync(times, { force: true });
  const t0 = wallMs();
  await runOk(cmd, args, { cwd: repo.root, env: { ...env, BENCH_CODEX_TIMES: times }, capture: false });
  const t1 = wallMs();
  const spans = codexSpans(times);
  if (spans.length !== ITEMS.length)
    throw new Error(`${who} ran codex ${spans.length} times, expected ${ITEMS.length}`);
  checkTicked(repo, who);
  const codex = spans.reduce((a, [s, e]) => a + (e - s), 0);
  const gaps = spans.slice(1).map(([s], i) => s - spans[i][1]);
  return {
    own: t1 - t0 - codex,
    codex,
    first: spans[0][0] - t0,
    between: gaps.reduce((a, g) => a + g, 0) / gaps.length,
    last: t1 - spans.at(-1)[1],
  };
}

/**
 * Harness cost per iteration (issue 11): `car run` over a 3-item TODO with the real Codex CLI against
 * the testkit's scripted model server (each item: codex runs a command ticking it, then reports), vs a
 * bash loop driving the same codex with the same server 3 times (prompt = the TODO on stdin, output
 * appended to a file). Both go through timed-codex.sh, so the time inside codex is subtracted from
 * each loop's wall time; what is left per item is the harness's own cost. Goal ≤ 100 ms per iteration.
 * The repo has a first commit; the car config is the plain YAML `car init` writes, with the defaults
 * except sleep_seconds: 0 and max_retries: 0 (so the progress check runs, as it does for users).
 */
export default {
  name: "harness",
  async run(ctx) {
    const server = await startModelServer({ script: tickingModel() });
    const codex = codexBinaryPath();
    const todo = ITEMS.map((t) => `- [ ] ${t}\n`).join("");
    const agent = [TIMED_CODEX, ...codexArgsFor(server)];
    const runner = { no_progress_runs: 3 };
    const samples = { bash: [], car: [], codex: [], first: [], between: [], last: [] };
    try {
      for (let i = 0; i < ctx.reps(5); i++) {
        const home = makeCodexHome("car-bench-codex-home-");
        const env = { ...codexEnvFor(home), BENCH_CODEX: codex, CAR_AUTH_TOKEN: undefined };
        try {
          const bashRepo = await loopRepo(join(ctx.tmp, `harness-bash-${i}`), { agent, todo, runner });
          const script = `for i in 1 2 3; do "$0" "$@" <.codex-autorunner/TODO.md >>bash-loop.log 2>&1; done`;
          const b = await timedLoop(bashRepo, "bash", ["-c", script, ...agent], env, "the bash loop");
          const carRepo = await loopRepo(join(ctx.tmp, `harness-car-${i}`), { agent, todo, runner });
          const c = await timedLoop(carRepo, process.execPath, [CLI_BIN, "run", "--quiet"], env, "car run");
          samples.bash.push(b.own / ITEMS.length);
          samples.car.push(c.own / ITEMS.length);
          samples.codex.push(c.codex / ITEMS.length);
          samples.first.push(c.first);
          samples.between.push(c.between);
          samples.last.push(c.last);
          ctx.progress(
            `  rep ${i + 1}: own time per item: bash ${(b.own / 3).toFixed(1)} ms, car ${(c.own / 3).toFixed(1)} ms ` +
              `(start ${c.first.toFixed(0)}, between ${c.between.toFixed(0)}, exit ${c.last.toFixed(0)}; ` +
              `codex ${(c.codex / 3).toFixed(0)} ms per item)`,
          );
        } finally {
          home.cleanup();
        }
      }
    } finally {
      await server.close();
    }
    const base = row({
      caseName: "harness",
      name: "bash loop own time per item, 3 items",
      unit: "ms",
      samples: samples.bash,
    });
    const info = (name, s) => row({ caseName: "harness", name, unit: "ms", samples: s });
    return [
      base,
      row({
        caseName: "harness",
        name: "car run own time per item, 3 items",
        unit: "ms",
        samples: samples.car,
        baseline: base,
        goal: { on: "value", max: 100, text: "≤ 100 ms" },
      }),
      info("car run: spawn → first codex", samples.first),
      info("car run: codex end → next codex start", samples.between),
      info("car run: last codex end → exit", samples.last),
      info("codex exec per item (in car run)", samples.codex),
    ];
  },
};
