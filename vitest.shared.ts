// Shared by every package's vitest.config.ts: the usual console output plus a JSON report that
// scripts/summary.mjs adds up into one closing "N passed, N failed" line for the whole workspace.
export const reporting = {
  reporters: ["default", "json"],
  outputFile: { json: ".test-results/results.json" },
};
