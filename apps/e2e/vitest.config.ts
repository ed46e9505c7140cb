import { defineConfig } from "vitest/config";
import { reporting } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...reporting,
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Real processes, real servers, real codex: one file at a time keeps 2-core CI machines honest.
    fileParallelism: false,
  },
});
