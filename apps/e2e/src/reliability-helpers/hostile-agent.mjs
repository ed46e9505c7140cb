#!/usr/bin/env node
// A deliberately badly behaved agent for the reliability suite. Plain Node ESM, no dependencies.
// Reads the prompt from stdin (unless told not to), records its PID, then misbehaves per HOSTILE_MODE.
// Env:
//   HOSTILE_MODE       see the switch below
//   HOSTILE_DIR        folder for pid/ready files (required)
//   HOSTILE_LINES      line count for mode `lines` (default 1000000)
//   HOSTILE_BYTES      size of the line for mode `bigline` (default 10 MiB)
//   HOSTILE_EXIT       exit code (default 0)
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

const env = process.env;
const mode = env.HOSTILE_MODE || "silent";
const dir = env.HOSTILE_DIR || resolve(".hostile");
const exitCode = Number.parseInt(env.HOSTILE_EXIT || "0", 10) || 0;
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `agent-${process.pid}.pid`), String(process.pid));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function readStdin() {
  let n = 0;
  for await (const chunk of process.stdin) n += chunk.length;
  return n;
}

/** Writes with backpressure so a million lines do not pile up in this process's memory. */
function write(stream, data) {
  return stream.write(data) ? Promise.resolve() : new Promise((r) => stream.once("drain", r));
}

/** Deterministic printable text of `n` chars (so the test can rebuild it and compare). */
export function pattern(n) {
  const unit = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

async function waitForFile(path) {
  let beat = 0;
  while (!existsSync(path)) {
    await sleep(50);
    if (++beat % 4 === 0) console.log(`waiting ${beat / 4}`);
  }
}

await readStdin();

switch (mode) {
  case "silent":
    break;
  case "lines": {
    const total = Number.parseInt(env.HOSTILE_LINES || "1000000", 10);
    const batch = 10_000;
    for (let i = 0; i < total; i += batch) {
      let chunk = "";
      for (let j = i; j < Math.min(total, i + batch); j++) chunk += `line ${j}\n`;
      await write(process.stdout, chunk);
    }
    await write(process.stdout, `hostile: printed ${total} lines\n`);
    break;
  }
  case "bigline": {
    const size = Number.parseInt(env.HOSTILE_BYTES || String(10 * 1024 * 1024), 10);
    await write(process.stdout, "before big line\n");
    const text = pattern(size);
    for (let i = 0; i < size; i += 1 << 20) await write(process.stdout, text.slice(i, i + (1 << 20)));
    await write(process.stdout, "\nafter big line\n");
    break;
  }
  case "bytes": {
    // Raw bytes: invalid UTF-8, NUL, a \r progress bar, CRLF; each case on its own tagged line.
    const parts = [
      Buffer.from("utf8-bad: A"),
      Buffer.from([0xff, 0xfe, 0x80, 0xc3]),
      Buffer.from("Z\n"),
      Buffer.from("nul: a\u0000b\u0000c\n"),
      Buffer.from("progress 10%\rprogress 50%\rprogress 100%\n"),
      Buffer.from("crlf: windows line\r\n"),
      Buffer.from("utf8-good: é 😀 ✓\n"),
    ];
    process.stderr.write(Buffer.from("stderr-bad: \xfe\n", "latin1"));
    for (const p of parts) await write(process.stdout, p);
    await write(process.stdout, "no trailing newline at the end");
    break;
  }
  case "replay": {
    // Raw bytes from a file the test generated (fuzzed output), written in odd-sized chunks.
    const data = readFileSync(env.HOSTILE_INPUT);
    for (let i = 0, step = 1; i < data.length; i += step, step = ((step * 7 + 3) % 4093) + 1) {
      await write(process.stdout, data.subarray(i, i + step));
    }
    break;
  }
  case "close-stdout": {
    await write(process.stdout, "before close\n");
    await new Promise((r) => process.stdout.end(r));
    try {
      closeSync(1);
    } catch {}
    for (let i = 1; i <= 3; i++) {
      process.stderr.write(`after close ${i}\n`);
      await sleep(100);
    }
    break;
  }
  case "late-grandchild": {
    // A grandchild in its own session keeps our stdout open and writes after we exit.
    const code = `setTimeout(() => { process.stdout.write("late line from grandchild\\n"); }, ${env.HOSTILE_DELAY_MS || 1000});`;
    const child = spawn(process.execPath, ["-e", code], {
      detached: true,
      stdio: ["ignore", "inherit", "inherit"],
    });
    writeFileSync(join(dir, "grandchild.pid"), String(child.pid));
    child.unref();
    console.log("agent exits, grandchild still holds stdout");
    break;
  }
  case "fork-grandchild": {
    // Same process group (not detached), inherits our stdout, never exits on its own.
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000);"], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    writeFileSync(join(dir, "grandchild.pid"), String(child.pid));
    child.unref();
    console.log(`forked grandchild ${child.pid} and exiting`);
    break;
  }
  case "ignore-term": {
    process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
    process.on("SIGINT", () => console.log("ignoring SIGINT"));
    console.log("running forever");
    writeFileSync(join(dir, "ready"), String(process.pid));
    setInterval(() => {}, 1000);
    await new Promise(() => {});
    break;
  }
  case "gate": {
    // Holds the run open until the test creates <dir>/release: lets a test act at a known point.
    console.log(`gate agent ${process.pid} started`);
    writeFileSync(join(dir, `started-${process.pid}`), "");
    writeFileSync(join(dir, "ready"), String(process.pid));
    await waitForFile(join(dir, "release"));
    console.log("released");
    break;
  }
  case "delete-todo":
    unlinkSync(resolve(".codex-autorunner/TODO.md"));
    console.log("deleted TODO.md");
    break;
  case "truncate-todo":
    truncateSync(resolve(".codex-autorunner/TODO.md"), 0);
    console.log("truncated TODO.md");
    break;
  case "delete-dir":
    rmSync(resolve(".codex-autorunner"), { recursive: true, force: true });
    console.log("deleted .codex-autorunner");
    for (let i = 0; i < 3; i++) console.log(`still talking ${i}`);
    break;
  default:
    console.error(`hostile-agent: unknown HOSTILE_MODE ${mode}`);
    process.exitCode = 64;
}
if (process.exitCode === undefined) process.exitCode = exitCode;
