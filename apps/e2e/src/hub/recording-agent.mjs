// The testkit's stand-in agent in `sleep` mode, recording when it lived: one JSON line
// `{pid, cwd, event: "start" | "end", t}` per event, appended to <record file> (outside every repo),
// so a test can compare the agents' lifetimes after the fact.
// Usage (as codex.binary = node): recording-agent.mjs <record file> <sleep ms> <stand-in-agent.mjs>
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [recordFile, sleepMs, standIn] = process.argv.slice(2);
if (!recordFile || !sleepMs || !standIn) {
  process.stderr.write("usage: recording-agent.mjs <record file> <sleep ms> <stand-in-agent.mjs>\n");
  process.exit(2);
}
const record = (event) =>
  appendFileSync(
    recordFile,
    `${JSON.stringify({ pid: process.pid, cwd: process.cwd(), event, t: Date.now() })}\n`,
  );

record("start");
process.on("exit", () => record("end"));
// The work itself (here, not in the config's env: a repo's config has no env for its agent).
process.env.STAND_IN_MODE = "sleep";
process.env.STAND_IN_SLEEP_MS = sleepMs;
await import(pathToFileURL(standIn).href);
