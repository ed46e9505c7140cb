import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "node/index": "src/node/index.ts",
    "node/runner-main": "src/node/runner-main.ts",
    // Read-only commands' entry: no zod at start-up (see src/node/lite.ts).
    "node/lite": "src/node/lite.ts",
  },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", "node/index": "src/node/index.ts", "node/lite": "src/node/lite.ts" } },
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: true,
});
