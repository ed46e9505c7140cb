import { execFile } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import * as core from "@codex-autorunner/core/node";
import { runOk } from "../lib/proc.mjs";
import { row } from "../lib/results.mjs";

const FILES = 20_000;
const PER_DIR = 100;
const IGNORED_FILES = 2_000;
const GOAL = { on: "ratio", max: 1.5, text: "≤ 1.5× (about one git status)" };

/**
 * Checkpoint cost (issue 12): a repo of 20,000 committed files (200 folders × 100 files of 20 lines)
 * plus 2,000 ignored files in node_modules/, in the state a run leaves: 20 files modified, 5 created,
 * 2 deleted. The baseline is `git status --porcelain` on the same repo, spawned the same way (node's
 * execFile) and interleaved with the checkpoints so load hits both alike. A checkpoint is every git
 * process it takes, start to ref; its tree is checked against a plain `git add -A` afterwards. Also shown, without a goal: the run's changed files (diffFiles, what
 * the run record keeps) and a rollback dry run (the plan the CLI confirms).
 */
export default {
  name: "checkpoint",
  async run(ctx) {
    const { takeCheckpoint, diffFiles, rollback } = core;
    const root = join(ctx.tmp, "checkpoint-repo");
    ctx.progress(`checkpoint: writing ${FILES} files`);
    await makeProject(root);

    const status = () => timed(() => gitStatus(root));
    const reps = ctx.reps(15);
    const base = [];
    const cp = [];
    const diff = [];
    const dry = [];
    // Run 1's before: the committed state; its after: the run's edits (the timed checkpoints replace it).
    await takeCheckpoint(root, 1, "before");
    editLikeARun(root);
    await status(); // warm: the page cache and the real index's stat data, as in any repo in use
    for (let i = 0; i < reps; i++) {
      base.push(await status());
      cp.push(await timed(() => takeCheckpoint(root, 1, "after")));
      diff.push(await timed(() => diffFiles(root, "refs/car/runs/1/before", "refs/car/runs/1/after")));
      dry.push(await timed(() => rollback(root, { toBefore: 1, dryRun: true })));
    }
    // What was timed must be right: the checkpoint's tree is the one a plain `git add -A` records.
    const plain = await addAllTree(root);
    const { stdout: taken } = await runOk("git", ["rev-parse", "refs/car/runs/1/after^{tree}"], {
      cwd: root,
    });
    if (taken.trim() !== plain)
      throw new Error(`checkpoint tree ${taken.trim()} is not git add -A's ${plain}`);
    const files = await diffFiles(root, "refs/car/runs/1/before", "refs/car/runs/1/after");
    if (files.length !== 27) throw new Error(`the run's diff has ${files.length} files, expected 27`);
    const plan = (await rollback(root, { toBefore: 1, dryRun: true })).plan;
    if (plan.remove.length !== 5 || plan.restore.length !== 22 || plan.keep.length !== 0) {
      throw new Error(`unexpected rollback plan: ${JSON.stringify(plan).slice(0, 300)}`);
    }
    rmSync(root, { recursive: true, force: true });

    const c = "checkpoint";
    const baseline = row({
      caseName: c,
      name: "git status --porcelain, 20k files",
      unit: "ms",
      samples: base,
    });
    return [
      baseline,
      row({
        caseName: c,
        name: "takeCheckpoint, 20k files",
        unit: "ms",
        samples: cp,
        baseline,
        goal: GOAL,
      }),
      row({ caseName: c, name: "diffFiles before→after (27 files)", unit: "ms", samples: diff, baseline }),
      row({ caseName: c, name: "rollback dry run (27 files)", unit: "ms", samples: dry, baseline }),
    ];
  },
};

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function gitStatus(cwd) {
  return new Promise((resolve, reject) => {
    execFile("git", ["status", "--porcelain"], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

async function makeProject(root) {
  const body = (n) => Array.from({ length: 20 }, (_, i) => `export const v${i} = ${n * 20 + i};\n`).join("");
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const dir = join(root, "src", `mod${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `file${f}.ts`), body(d * PER_DIR + f));
  }
  writeFileSync(join(root, ".gitignore"), "node_modules/\n");
  for (let i = 0; i < IGNORED_FILES; i++) {
    const dir = join(root, "node_modules", `pkg${i % 100}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.js`), "module.exports = 1;\n");
  }
  const git = (...args) => runOk("git", args, { cwd: root, timeoutMs: 300_000 });
  await git("init", "-q");
  await git("add", "-A");
  await git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "project");
}

/** `git add -A` into a copy of the index (mtime kept), then write-tree: the reference snapshot. */
async function addAllTree(root) {
  const real = join(root, ".git", "index");
  const copy = join(root, ".git", "bench-plain-index");
  copyFileSync(real, copy);
  const st = statSync(real);
  utimesSync(copy, st.atime, st.mtime);
  const env = { ...process.env, GIT_INDEX_FILE: copy };
  await runOk("git", ["add", "-A"], { cwd: root, env });
  const { stdout } = await runOk("git", ["write-tree"], { cwd: root, env });
  rmSync(copy, { force: true });
  return stdout.trim();
}

/** 20 files modified, 5 created, 2 deleted (27 changed paths). */
function editLikeARun(root) {
  for (let i = 0; i < 20; i++)
    appendFileSync(join(root, "src", `mod${i * 7}`, "file3.ts"), "// edited by the run\n");
  for (let i = 0; i < 5; i++) writeFileSync(join(root, "src", `mod${i}`, `new${i}.ts`), "export {};\n");
  for (let i = 0; i < 2; i++) rmSync(join(root, "src", `mod${100 + i}`, "file9.ts"));
}
