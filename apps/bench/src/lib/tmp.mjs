import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// One temp folder per bench run; removed on exit (also on Ctrl-C) unless --keep-data.
let root = null;
let keep = false;

export function benchTmp(keepData = false) {
  if (root) return root;
  keep = keepData;
  root = mkdtempSync(join(tmpdir(), "car-bench-"));
  const clean = () => {
    if (root && !keep) rmSync(root, { recursive: true, force: true });
  };
  process.on("exit", clean);
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.once(sig, () => {
      clean();
      process.exit(130);
    });
  }
  return root;
}
