#!/usr/bin/env node
// Stand-in agent for the throughput case: drains the prompt from stdin (like Codex), then prints
// FLOOD_LINES lines of 59 characters + "\n" (1,000,000 lines = 60 MB) as fast as stdout takes them.
const total = Number(process.env.FLOOD_LINES ?? 1_000_000);
if (!process.stdin.isTTY) for await (const _ of process.stdin);

const filler = " lorem ipsum dolor sit amet, consectetur adipiscing."; // 52 chars
const BATCH = 4096;
let n = 0;
function pump() {
  while (n < total) {
    let chunk = "";
    const end = Math.min(total, n + BATCH);
    for (; n < end; n++) chunk += `${String(n).padStart(7, "0")}${filler}\n`;
    if (!process.stdout.write(chunk)) return process.stdout.once("drain", pump);
  }
}
pump();
