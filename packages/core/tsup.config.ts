import { fileURLToPath } from "node:url";
import { defineConfig } from "tsup";

const lazyCrypto = fileURLToPath(new URL("./src/node/lazy-crypto.ts", import.meta.url));

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "node/index": "src/node/index.ts",
    "node/runner-main": "src/node/runner-main.ts",
    // The lifeline watcher started beside each agent (src/node/proc/lifeline.ts).
    "node/lifeline-main": "src/node/proc/lifeline-main.ts",
    // Read-only commands' entry: no zod at start-up (see src/node/lite.ts).
    "node/lite": "src/node/lite.ts",
  },
  format: ["esm"],
  dts: {
    entry: { index: "src/index.ts", "node/index": "src/node/index.ts", "node/lite": "src/node/lite.ts" },
  },
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: true,
  // Runtime dependencies are bundled into the chunks that use them: zod alone is ~95 files, and opening
  // and compiling each one cost the runner more start-up time than its code. (zod stays a declared
  // dependency all the same: the .d.ts files reference its types.)
  noExternal: ["zod", "js-yaml"],
  // Keep `node:` in imports (Node 20 has it), so the plugin below sees node:crypto before tsup's
  // protocol-stripping resolver marks it external.
  removeNodeProtocol: false,
  // node:crypto is loaded on first use (see src/node/lazy-crypto.ts), not at start-up.
  esbuildPlugins: [
    {
      name: "lazy-crypto",
      setup(build) {
        build.onResolve({ filter: /^node:crypto$/ }, () => ({ path: lazyCrypto }));
      },
    },
  ],
});
