import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
};

// Node entry only (`webAssetsDir`, `webBuildInfo`); the UI itself is built by vite into dist/ui.
export default defineConfig({
  entry: { index: "src/index.ts" },
  tsconfig: "tsconfig.node.json",
  format: ["esm"],
  dts: true,
  target: "node20",
  platform: "node",
  sourcemap: true,
  define: { __WEB_VERSION__: JSON.stringify(version) },
  // vite has just written dist/ui: never wipe it.
  clean: false,
});
