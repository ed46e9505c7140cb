// Loaded with NODE_OPTIONS=--import=<this file>: on exit, a Node process writes its peak RSS (VmHWM, kB)
// to $CAR_HWM_DIR/<pid>, so a test can read the exact peak of a process that has already exited.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.CAR_HWM_DIR;
if (dir) {
  process.on("exit", () => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
      mkdirSync(dir, { recursive: true });
      if (m) writeFileSync(join(dir, String(process.pid)), m[1]);
    } catch {
      // measurement only; never change the process's exit
    }
  });
}
