#!/usr/bin/env node
// Stand-in agent for loop tests and the offline demo: behaves like a tiny, obedient Codex.
// Plain Node ESM, no dependencies, so it runs anywhere `node` does.
//
// Reads the prompt from stdin until EOF, then (by STAND_IN_MODE):
//   tick  (default) tick the FIRST unchecked `[ ]` item of the TODO, append a line to PROGRESS
//   sleep print, then sleep STAND_IN_SLEEP_MS (heartbeat line every 200 ms), then tick
//   noop  print, change nothing
// Env:
//   STAND_IN_TODO        TODO file (default .codex-autorunner/TODO.md in cwd)
//   STAND_IN_PROGRESS    PROGRESS file (default .codex-autorunner/PROGRESS.md in cwd)
//   STAND_IN_PROMPT_DIR  when set, the prompt is saved to <dir>/prompt-<n>.txt (n = 1, 2, ...)
//   STAND_IN_SLEEP_MS    sleep length for mode sleep (default 30000)
//   STAND_IN_EXIT        exit code (default 0)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const env = process.env;
const mode = env.STAND_IN_MODE || "tick";
const exitCode = Number.parseInt(env.STAND_IN_EXIT || "0", 10) || 0;
const todoPath = resolve(env.STAND_IN_TODO || ".codex-autorunner/TODO.md");
const progressPath = resolve(env.STAND_IN_PROGRESS || ".codex-autorunner/PROGRESS.md");

// Task-list item that is not done: `- [ ] x`, `* [ ] x`, `+ [ ] x`, `1. [ ] x`, any indentation.
const UNCHECKED = /^(\s*(?:[-*+]|\d+[.)])\s+\[) (\]\s*(.*))$/;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function savePrompt(prompt) {
  const dir = env.STAND_IN_PROMPT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const taken = readdirSync(dir).filter((f) => /^prompt-\d+\.txt$/.test(f)).length;
  writeFileSync(resolve(dir, `prompt-${taken + 1}.txt`), prompt);
}

/** Returns the ticked item's text, or null when nothing was outstanding. Skips fenced code blocks. */
function tickFirst() {
  if (!existsSync(todoPath)) {
    process.stderr.write(`stand-in: no TODO at ${todoPath}\n`);
    return null;
  }
  const text = readFileSync(todoPath, "utf8");
  const lines = text.split("\n");
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1][0];
      else if (fenceMatch[1][0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const m = UNCHECKED.exec(line);
    if (!m) continue;
    lines[i] = `${m[1]}x${m[2]}`;
    writeFileSync(todoPath, lines.join("\n"));
    return m[3].trim();
  }
  return null;
}

function appendProgress(item) {
  const before = existsSync(progressPath) ? readFileSync(progressPath, "utf8") : "";
  const sep = before === "" || before.endsWith("\n") ? "" : "\n";
  writeFileSync(progressPath, `${before}${sep}- done: ${item}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const prompt = await readStdin();
savePrompt(prompt);
console.log(`stand-in agent pid=${process.pid} mode=${mode}`);
console.log(`read a prompt of ${prompt.length} characters`);

if (mode === "sleep") {
  const total = Number.parseInt(env.STAND_IN_SLEEP_MS || "30000", 10);
  const until = Date.now() + total;
  let beat = 0;
  while (Date.now() < until) {
    await sleep(Math.min(200, until - Date.now()));
    console.log(`heartbeat ${++beat}`);
  }
}

if (mode === "tick" || mode === "sleep") {
  const item = tickFirst();
  if (item === null) {
    console.log("nothing left to do");
  } else {
    process.stderr.write(`working on: ${item}\n`);
    appendProgress(item);
    console.log(`ticked: ${item}`);
  }
} else {
  process.stderr.write("working on: nothing (noop mode)\n");
}
console.log(`summary: stand-in agent finished (exit ${exitCode})`);
process.exitCode = exitCode;
