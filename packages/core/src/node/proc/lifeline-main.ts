#!/usr/bin/env node
/**
 * The lifeline watcher (see lifeline.ts): `lifeline-main.js MARKER GRACE_MS`. Reads its stdin until
 * EOF; without a `done` line first, the runner died, and every process of the run is ended (SIGTERM,
 * GRACE_MS, SIGKILL). Deliberately tiny: only the process-table helpers are loaded.
 */
import { endRunProcesses } from "./end.js";

const [marker, graceArg] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (!marker || !Number.isFinite(graceMs)) {
  process.stderr.write("usage: lifeline-main.js MARKER GRACE_MS\n");
  process.exit(2);
}

let text = "";
let agentPid: number | null = null;
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  text += chunk;
  const m = /^agent (\d+)$/m.exec(text);
  if (m) agentPid = Number(m[1]);
  if (text.length > 4096) text = text.slice(-256);
});
process.stdin.on("error", () => {});
process.stdin.on("close", () => {
  if (/^done$/m.test(text)) process.exit(0);
  void endRunProcesses({ marker, pgid: agentPid }, { graceMs }).finally(() => process.exit(0));
});
