#!/usr/bin/env node
// Fails the build when the UI's first load (every JS and CSS file index.html pulls in, gzipped) is
// over budget. Prints each file's size so a regression is easy to pin on the change that caused it.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 30 * 1024;
const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/ui");
const indexPath = join(uiDir, "index.html");
if (!existsSync(indexPath)) {
  console.error(`check-budget: ${indexPath} not found; run vite build first.`);
  process.exit(1);
}
const html = readFileSync(indexPath, "utf8");

// Entry scripts, module preloads and stylesheets referenced by index.html, plus the CSS/JS they
// import statically (vite lists static chunk imports as modulepreload links, so those are covered).
const refs = new Set();
for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>/g)) {
  const tag = m[0];
  const url = m[1];
  if (/^(?:[a-z]+:)?\/\//i.test(url)) {
    console.error(
      `check-budget: index.html loads an external resource (${url}); the UI must be self-contained.`,
    );
    process.exit(1);
  }
  if (tag.startsWith("<link") && !/rel="(?:stylesheet|modulepreload)"/.test(tag)) continue;
  if (!/\.(?:js|mjs|css)(?:\?|$)/.test(url)) continue;
  refs.add(url.replace(/^\.?\//, "").replace(/\?.*$/, ""));
}
if (refs.size === 0) {
  console.error("check-budget: index.html references no JS or CSS; is the build broken?");
  process.exit(1);
}

let total = 0;
const rows = [];
for (const ref of [...refs].sort()) {
  const path = join(uiDir, ref);
  if (!existsSync(path)) {
    console.error(`check-budget: index.html references ${ref}, which is not in dist/ui.`);
    process.exit(1);
  }
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  rows.push([ref, raw.length, gz]);
}
// Inline <style>/<script> in index.html count too.
const inline = [...html.matchAll(/<(style|script)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => m[2]).join("");
if (inline.trim()) {
  const gz = gzipSync(Buffer.from(inline), { level: 9 }).length;
  total += gz;
  rows.push(["(inline in index.html)", inline.length, gz]);
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const width = Math.max(...rows.map((r) => r[0].length), 10);
console.log("First load (JS + CSS):");
for (const [name, raw, gz] of rows)
  console.log(`  ${name.padEnd(width)}  ${kb(raw).padStart(10)} raw  ${kb(gz).padStart(9)} gzip`);
console.log(
  `  ${"total".padEnd(width)}  ${" ".repeat(15)}${kb(total).padStart(9)} gzip  (budget ${kb(BUDGET)})`,
);
if (total > BUDGET) {
  console.error(`check-budget: FAIL — first load is ${kb(total)} gzipped, over the ${kb(BUDGET)} budget.`);
  process.exit(1);
}
console.log("check-budget: OK");
