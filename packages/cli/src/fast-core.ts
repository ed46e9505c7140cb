import { existsSync } from "node:fs";
import type { GlobalArgs } from "./commands/common.js";
import { startDir } from "./commands/common.js";

/**
 * Core's read-only entry (`@codex-autorunner/core/node/lite`): what `status` and `log` need, without
 * loading zod at start-up. Same functions and error classes as `@codex-autorunner/core/node`.
 */
export function loadLite(): Promise<typeof import("@codex-autorunner/core/node/lite")> {
  return import("@codex-autorunner/core/node/lite");
}

/** `repoRoot` of commands/common.ts through the lite entry (same checks, same errors). */
export async function liteRepoRoot(argv: GlobalArgs): Promise<string> {
  const core = await loadLite();
  const start = startDir(argv);
  if (argv.repo !== undefined && !existsSync(start)) {
    throw new core.CarError("INVALID_ARGUMENT", `--repo ${argv.repo}: no such directory (${start})`);
  }
  return core.findRepoRoot(start);
}
