import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Walks up from this module (src/ under vitest, dist/ when built) to the first dir holding `marker`. */
function findUp(marker: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, marker))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`testkit: cannot find ${marker} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The monorepo root (holds pnpm-workspace.yaml). */
export function workspaceRoot(): string {
  return findUp("pnpm-workspace.yaml");
}

/** Absolute path of the stand-in agent script (run it with `process.execPath`). */
export function standInAgentPath(): string {
  return join(findUp(join("bin", "stand-in-agent.mjs")), "bin", "stand-in-agent.mjs");
}

/** Absolute path of the BUILT CLI entry (`pnpm --filter codex-autorunner build` first). */
export function carBinPath(): string {
  return join(workspaceRoot(), "packages", "cli", "dist", "bin.js");
}
