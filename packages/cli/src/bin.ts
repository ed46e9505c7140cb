import nodeModule from "node:module";
import { matchFastPath, runFastPath } from "./fast-path.js";

// Node >= 22.1 can cache compiled modules on disk (most of a short command's start-up is compiling
// the ESM graph); Node 20 has no such API, so only call it where it exists.
const withCache = nodeModule as { enableCompileCache?: () => unknown };
if (typeof withCache.enableCompileCache === "function") {
  try {
    withCache.enableCompileCache();
  } catch {
    // A cache that cannot be set up (read-only tmp dir) only costs speed.
  }
}

// A closed pipe (`car log | head`) is not an error worth a stack trace; see outputPolicy for `run`.
let keepRunning = () => false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (keepRunning()) return;
    process.exit(err.code === "EPIPE" || err.code === "EIO" ? 0 : 1);
  });
}

const argv = process.argv.slice(2);
const fast = matchFastPath(argv, new URL("./help.txt", import.meta.url));
const run: Promise<number> = fast
  ? runFastPath(fast, (policy) => {
      keepRunning = () => policy.keepRunningWhenClosed;
    })
  : import("./index.js").then(({ main, outputPolicy }) => {
      keepRunning = () => outputPolicy.keepRunningWhenClosed;
      return main(argv);
    });

/**
 * Exit once stdout and stderr have handed everything to the OS: a pipe is written asynchronously, and
 * exiting at once cut `car status --json | jq` (or `car log | less`) at 64 KiB.
 */
function flushThenExit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || !stream.writable) done();
    else stream.write("", () => done());
  }
}

// Explicit exit: a command's leftover handle (a watcher, a timer) must never keep `car` alive after it is done.
run.then(flushThenExit, (err) => {
  process.stderr.write(`car: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  flushThenExit(1);
});
