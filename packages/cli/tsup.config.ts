import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { bin: "src/bin.ts", index: "src/index.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  banner: { js: "#!/usr/bin/env node" },
  // `car --help` prints this saved copy of the yargs help instead of loading yargs (see src/fast-path.ts).
  onSuccess: async () => {
    const help = execFileSync(process.execPath, ["dist/bin.js", "--help", "--repo", "."], {
      encoding: "utf8",
    });
    writeFileSync("dist/help.txt", help);
  },
});
