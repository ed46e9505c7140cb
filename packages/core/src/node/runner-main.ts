#!/usr/bin/env node
/**
 * `car-runner --repo PATH [--once] [--force]`: the loop as its own process, started detached by
 * `startDetachedRunner` (server, `car start`). SIGINT/SIGTERM abort the loop (every process of the
 * run gets TERM, grace, KILL; the end marker and state are written) before the process exits; the
 * signal's name is the abort reason, as in `car run`, so state says "killed by SIGTERM" either way.
 * Exit: 0 normal stop, 1 error, 130 SIGINT, 143 SIGTERM. Deliberately tiny: no yargs.
 */
import { isCarError } from "../errors.js";
import { runLoop } from "./engine/loop.js";

function parseArgs(argv: string[]): { repo: string; once: boolean; force: boolean } {
  let repo: string | null = null;
  let once = false;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--once") once = true;
    else if (a === "--force") force = true;
    else if (a === "--repo") repo = argv[++i] ?? null;
    else if (a.startsWith("--repo=")) repo = a.slice("--repo=".length);
    else
      throw new Error(
        `unknown argument ${JSON.stringify(a)}; usage: car-runner --repo PATH [--once] [--force]`,
      );
  }
  if (!repo) throw new Error("missing --repo PATH; usage: car-runner --repo PATH [--once] [--force]");
  return { repo, once, force };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`car-runner: ${(err as Error).message}\n`);
    return 2;
  }
  const ac = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    ac.abort(sig);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  const started = new Date().toISOString();
  process.stdout.write(`car-runner: pid ${process.pid} started ${started} in ${args.repo}\n`);
  try {
    const result = await runLoop({
      root: args.repo,
      once: args.once,
      force: args.force,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "run.ended") {
          process.stdout.write(
            `car-runner: run ${e.runId} ${e.record.outcome} (exit ${e.record.exit_code})\n`,
          );
        }
      },
    });
    const detail = result.detail ? `: ${result.detail}` : "";
    process.stdout.write(`car-runner: stopped (${result.reason}${detail}) after ${result.runs} run(s)\n`);
    if (signalled === "SIGINT") return 130;
    if (signalled) return 143;
    return result.reason === "agent_failed" ||
      result.reason === "no_progress" ||
      result.reason === "commit_failed" ||
      result.reason === "error"
      ? 1
      : 0;
  } catch (err) {
    const code = isCarError(err) ? `${err.code}: ` : "";
    const line = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
    process.stderr.write(`car-runner: ${code}${line}\n`);
    return 1;
  }
}

// process.exit: everything was awaited; nothing left behind may keep the process alive.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`car-runner: INTERNAL: ${String(err)}\n`);
    process.exit(1);
  },
);
