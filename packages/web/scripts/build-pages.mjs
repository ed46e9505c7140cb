#!/usr/bin/env node
// Builds the UI's two pages into dist/ui: a repo's UI (index.html: what `car serve` and a hub's
// `/repos/<id>/` serve) and the hub's home (hub.html: `car hub serve`'s `/`). One vite build per page,
// not one build with two inputs: shared chunks would make each page load two gzip streams and the
// other page's share of common modules (≈1.8 KB more for index.html), and each page has a budget.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pages = ["index", "hub"];
for (const [i, page] of pages.entries()) {
  await build({
    root,
    logLevel: "warn",
    build: {
      // The first build clears dist/ui; the next ones add their page beside it.
      emptyOutDir: i === 0,
      rollupOptions: { input: { [page]: resolve(root, `${page}.html`) } },
    },
  });
  console.log(`vite: built ${page}.html`);
}
