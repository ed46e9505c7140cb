import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

export const BENCH_DIR = resolve(here, "../..");
export const WORKSPACE = resolve(BENCH_DIR, "../..");
/** The built CLI, run as `node <CLI_BIN> ...` so the process we time/sample is car itself. */
export const CLI_BIN = resolve(WORKSPACE, "packages/cli/dist/bin.js");
export const WEB_UI = resolve(WORKSPACE, "packages/web/dist/ui");
export const AGENTS = resolve(BENCH_DIR, "src/agents");
export const CHILDREN = resolve(BENCH_DIR, "src/children");
