import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The UI imports only the pure part of core. Pointing at core's sources (not its bundled dist) keeps
// module boundaries, so with core's `"sideEffects": false` everything the UI does not use — zod,
// js-yaml, the config schema — is dropped from the bundle instead of costing the 30 KB budget.
const coreSrc = fileURLToPath(new URL("../core/src/index.ts", import.meta.url));

// `car serve` is the dev backend: `CAR_DEV_API=http://127.0.0.1:4173 vite` proxies /api to it.
const devApi = process.env.CAR_DEV_API ?? "http://127.0.0.1:4173";

// `pnpm build` runs scripts/build-pages.mjs: one build per page (index.html, hub.html) into dist/ui.
export default defineConfig({
  // Relative asset URLs so the UI also works behind a reverse proxy under a sub-path.
  base: "./",
  resolve: { alias: { "@codex-autorunner/core": coreSrc } },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist/ui",
    assetsDir: "assets",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/api": { target: devApi, changeOrigin: false },
      "/hub/": { target: devApi, changeOrigin: false },
      "/repos/": { target: devApi, changeOrigin: false },
      "/health": devApi,
    },
  },
});
