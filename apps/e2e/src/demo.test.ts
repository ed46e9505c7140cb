import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The README's first command ends in `pnpm demo`; this keeps that promise tested in CI, with the real
// Codex CLI against the scripted model exactly as a newcomer runs it.
const demo = join(dirname(fileURLToPath(import.meta.url)), "..", "scripts", "demo.mjs");

describe("README demo", () => {
  for (const agent of ["codex", "stand-in"]) {
    it(`--agent ${agent} ticks all three items and exits 0`, () => {
      const r = spawnSync(process.execPath, [demo, "--agent", agent], {
        encoding: "utf8",
        timeout: 180_000,
        env: { ...process.env, NO_COLOR: "1" },
      });
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      expect(out).toContain("=== run 3 end (code 0) ===");
      expect(out).not.toContain("=== run 4 start ===");
      expect(out).toContain("- [x] Document it in the README");
      expect(out).toContain("demo finished: every TODO item is ticked");
    }, 200_000);
  }
});
