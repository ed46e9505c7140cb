#!/usr/bin/env node
// The README's demo: a scratch git repo in a temp folder with a three-item TODO, and the built `car`
// completing it run by run. Offline. Needs `pnpm install && pnpm build` first (the README command does it).
//
//   node apps/e2e/scripts/demo.mjs [--agent stand-in|codex] [--keep]
//
// --agent stand-in (default): the test kit's scripted agent ticks one item per run.
// --agent codex: the real Codex CLI against the test kit's scripted model server (still offline).
// --keep: leave the scratch repo in place (its path is printed).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const workspace = resolve(here, "..", "..", "..");
const carBin = join(workspace, "packages", "cli", "dist", "bin.js");
const standIn = join(workspace, "apps", "testkit", "bin", "stand-in-agent.mjs");

const { values } = parseArgs({
  options: {
    agent: { type: "string", default: "stand-in" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: node apps/e2e/scripts/demo.mjs [--agent stand-in|codex] [--keep]");
  process.exit(0);
}

/** How each agent is configured: the keys set in config.yml and extra env for `car run`. */
const AGENTS = {
  "stand-in": () => ({
    config: { "codex.binary": process.execPath, "codex.args": [standIn] },
    env: { STAND_IN_MODE: "tick" },
  }),
  // The real Codex CLI (apps/e2e pins @openai/codex) talking to the test kit's scripted model server
  // on 127.0.0.1: the "model" reads the first open item from car's prompt and has codex tick it with
  // a shell command. No network, no account: a throwaway CODEX_HOME and a custom provider.
  codex: async () => {
    const kit = await import("@codex-autorunner/testkit");
    const model = spawn(process.execPath, [join(here, "scripted-model.mjs")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const { url } = await new Promise((resolvePromise, reject) => {
      model.once("error", reject);
      model.once("exit", (code) => reject(new Error(`scripted model server exited (${code})`)));
      model.stdout.once("data", (d) => resolvePromise(JSON.parse(String(d).split("\n")[0])));
    });
    const home = kit.makeCodexHome("car-demo-codex-home-");
    console.log(`scripted model at ${url}; codex ${kit.codexBinaryPath()}`);
    return {
      config: { "codex.binary": kit.codexBinaryPath(), "codex.args": kit.codexArgsFor({ url }) },
      env: kit.codexEnvFor(home),
      cleanup: async () => {
        model.removeAllListeners("exit");
        model.kill("SIGTERM");
        home.cleanup();
      },
    };
  },
};

const agentSetup = AGENTS[values.agent];
if (!agentSetup) {
  console.error(`demo: unknown --agent ${values.agent}; expected one of ${Object.keys(AGENTS).join(", ")}`);
  process.exit(2);
}
if (!existsSync(carBin)) {
  console.error(`demo: ${carBin} is missing; run \`pnpm install && pnpm build\` first`);
  process.exit(1);
}

const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[22m` : s);
const heading = (s) => console.log(`\n${bold(`──── ${s} ────`)}`);

function car(args, opts = {}) {
  console.log(bold(`$ car ${args.join(" ")}`));
  const r = spawnSync(process.execPath, [carBin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: "inherit",
  });
  if (r.error) throw r.error;
  if (opts.check !== false && r.status !== 0) {
    console.error(`demo: \`car ${args.join(" ")}\` exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return r.status;
}

const setup = await agentSetup();
const root = mkdtempSync(join(tmpdir(), "car-demo-"));
let ok = false;
try {
  heading(`scratch repo: ${root}`);
  car(["init", "--git-init", root], { cwd: root });

  // Point the config at the agent (validated per key; the CLI has no `config set` yet, core does).
  const { updateConfigFile } = await import("@codex-autorunner/core/node");
  for (const [key, value] of Object.entries({ ...setup.config, "runner.sleep_seconds": 0.5 })) {
    await updateConfigFile(root, key, value);
  }
  const todo = join(root, ".codex-autorunner", "TODO.md");
  writeFileSync(
    todo,
    "# TODO\n\n- [ ] Write a greeting module\n- [ ] Add a test for it\n- [ ] Document it in the README\n",
  );
  heading("TODO before");
  process.stdout.write(readFileSync(todo, "utf8"));

  heading("the loop");
  const runCode = car(["run"], { cwd: root, env: setup.env, check: false });

  heading("car log --tail 40");
  car(["log", "--tail", "40"], { cwd: root });
  heading("car status");
  car(["status"], { cwd: root });
  heading("TODO after");
  const after = readFileSync(todo, "utf8");
  process.stdout.write(after);

  const open = (after.match(/^\s*(?:[-*+]|\d+[.)])\s+\[ \]/gm) ?? []).length;
  ok = runCode === 0 && open === 0;
  heading(
    ok
      ? "demo finished: every TODO item is ticked"
      : `demo FAILED: car run exited ${runCode}, ${open} item(s) open`,
  );
} finally {
  await setup.cleanup?.();
  if (values.keep) console.log(`(kept ${root})`);
  else rmSync(root, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
