import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { WORKSPACE } from "./paths.mjs";
import { run } from "./proc.mjs";

/** dist files the cases load; checked after the build. */
const NEEDED = [
  "packages/core/dist/node/index.js",
  "packages/server/dist/index.js",
  "packages/cli/dist/bin.js",
  "packages/web/dist/ui/index.html",
  "apps/testkit/dist/index.js",
];

/**
 * Build every workspace package the bench depends on (core, web, server, CLI, testkit) through turbo,
 * one task at a time (cached when nothing changed). A failed build is reported; the bench then goes on
 * with whatever dist/ is there, and cases whose products are missing report that instead of a number.
 */
export async function buildWorkspace(progress) {
  progress("build: turbo run build --filter=@codex-autorunner/bench^... (cached when unchanged)");
  const r = await run(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--filter=@codex-autorunner/bench^...",
      "--concurrency=1",
      "--output-logs=errors-only",
    ],
    {
      cwd: WORKSPACE,
      timeoutMs: 600_000,
    },
  );
  if (r.code !== 0)
    progress(`build FAILED (going on with the current dist/):\n${(r.stdout + r.stderr).slice(-3000)}`);
  return missingProducts();
}

export function missingProducts() {
  return NEEDED.filter((p) => !existsSync(resolve(WORKSPACE, p)));
}
