import { defineConfig } from "vitest/config";
import { reporting } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...reporting,
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
