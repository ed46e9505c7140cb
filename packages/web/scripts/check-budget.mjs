#!/usr/bin/env node
// Fails the build when a page's first load (every JS and CSS file its HTML pulls in, gzipped) is over
// budget. Each page is checked on its own: a repo's UI (index.html) and the hub's home (hub.html),
// shared chunks counting toward both. Prints each file's size so a regression is easy to pin on the
// change that caused it.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 30 * 1024;
const PAGES = ["index.html", "hub.html"];
const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/ui");
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

function fail(message) {
  console.error(`check-budget: ${message}`);
  process.exit(1);
}

/** Rows [file, raw bytes, gzipped bytes] of everything `page` loads first, and their gzipped total. */
function firstLoad(page) {
  const htmlPath = join(uiDir, page);
  if (!existsSync(htmlPath)) fail(`${htmlPath} not found; run vite build first.`);
  const html = readFileSync(htmlPath, "utf8");
  // Entry scripts, module preloads and stylesheets, plus the CSS/JS they import statically (vite
  // lists static chunk imports as modulepreload links, so those are covered).
  const refs = new Set();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    const url = m[1];
    if (/^(?:[a-z]+:)?\/\//i.test(url))
      fail(`${page} loads an external resource (${url}); the UI must be self-contained.`);
    if (tag.startsWith("<link") && !/rel="(?:stylesheet|modulepreload)"/.test(tag)) continue;
    if (!/\.(?:js|mjs|css)(?:\?|$)/.test(url)) continue;
    refs.add(url.replace(/^\.?\//, "").replace(/\?.*$/, ""));
  }
  if (refs.size === 0) fail(`${page} references no JS or CSS; is the build broken?`);
  const rows = [];
  for (const ref of [...refs].sort()) {
    const path = join(uiDir, ref);
    if (!existsSync(path)) fail(`${page} references ${ref}, which is not in dist/ui.`);
    const raw = readFileSync(path);
    rows.push([ref, raw.length, gzipSync(raw, { level: 9 }).length]);
  }
  // Inline <style>/<script> in the page count too.
  const inline = [...html.matchAll(/<(style|script)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => m[2]).join("");
  if (inline.trim())
    rows.push([`(inline in ${page})`, inline.length, gzipSync(Buffer.from(inline), { level: 9 }).length]);
  return { rows, total: rows.reduce((n, r) => n + r[2], 0) };
}

const over = [];
for (const page of PAGES) {
  const { rows, total } = firstLoad(page);
  const width = Math.max(...rows.map((r) => r[0].length), 10);
  console.log(`First load of ${page} (JS + CSS):`);
  for (const [name, raw, gz] of rows)
    console.log(`  ${name.padEnd(width)}  ${kb(raw).padStart(10)} raw  ${kb(gz).padStart(9)} gzip`);
  console.log(
    `  ${"total".padEnd(width)}  ${" ".repeat(15)}${kb(total).padStart(9)} gzip  (budget ${kb(BUDGET)})`,
  );
  if (total > BUDGET)
    over.push(`${page}'s first load is ${kb(total)} gzipped, over the ${kb(BUDGET)} budget`);
}
if (over.length > 0) fail(`FAIL — ${over.join("; ")}.`);
console.log("check-budget: OK");
