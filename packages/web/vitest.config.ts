import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { reporting } from "../../vitest.shared.js";

export default defineConfig({
  resolve: {
    alias: { "@codex-autorunner/core": fileURLToPath(new URL("../core/src/index.ts", import.meta.url)) },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    ...reporting,
    include: ["src/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
  },
});
