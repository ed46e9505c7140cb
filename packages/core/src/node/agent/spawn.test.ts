import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { sanitizeAgentLine } from "../../log/format.js";
import { RUN_MARKER_ENV } from "../../proc/marker.js";
import type { LogStream } from "../../types.js";
import { findLifelines } from "../proc/lifeline.js";
import { newRunMarker } from "../proc/marker.js";
import { groupExists, isProcessAlive } from "../proc/procfs.js";
import { type AgentProcess, spawnAgent } from "./spawn.js";
import { BYTE_PIECES } from "./test-bytes.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-spawn-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function script(body: string): Promise<string> {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.mjs`);
  await fsp.writeFile(file, body);
  return file;
}

async function run(body: string, opts: { stdin?: string; maxLineBytes?: number; drainMs?: number } = {}) {
  const lines: Array<[LogStream, string]> = [];
  const agent = await spawnAgent({
    binary: process.execPath,
    args: [await script(body)],
    cwd: dir,
    stdin: opts.stdin ?? "",
    maxLineBytes: opts.maxLineBytes,
    drainMs: opts.drainMs,
    onLine: (s, t) => {
      lines.push([s, t]);
    },
  });
  const exit = await agent.exited;
  return { lines, exit, agent };
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * An agent that runs `prelude`, starts a child (`spawnExpr`; `spawn` is imported), says "ready" and
 * stays up; resolves once it said so, with the child's pid.
 */
async function startWithChild(
  spawnExpr: string,
  prelude = "",
): Promise<{ agent: AgentProcess; child: number }> {
  const lines: string[] = [];
  const pidFile = join(dir, "child.pid");
  const agent = await spawnAgent({
    binary: process.execPath,
    args: [
      await script(`import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
${prelude}
const child = ${spawnExpr};
writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
console.log("ready");
setInterval(() => {}, 1000);`),
    ],
    cwd: dir,
    stdin: "",
    onLine: (_s, t) => {
      lines.push(t);
    },
  });
  await waitFor(() => lines.includes("ready"), "ready");
  return { agent, child: Number(await fsp.readFile(pidFile, "utf8")) };
}

describe("spawnAgent", () => {
  it("splits stdout and stderr into lines, handles CRLF, and feeds the prompt on stdin", async () => {
    const { lines, exit } = await run(
      `let s = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (s += d));
process.stdin.on("end", () => {
  process.stdout.write("got " + s.length + "\\nsecond\\r\\nthird-no-newline");
  process.stderr.write("oops\\n");
  process.exitCode = 4;
});`,
      { stdin: "x".repeat(300_000) },
    );
    expect(exit).toEqual({ code: 4, signal: null });
    expect(lines.filter(([s]) => s === "stdout").map(([, t]) => t)).toEqual([
      "got 300000",
      "second",
      "third-no-newline",
    ]);
    expect(lines.filter(([s]) => s === "stderr").map(([, t]) => t)).toEqual(["oops"]);
  });

  it("keeps the server's CAR_AUTH_TOKEN out of the agent's environment, and passes the rest", async () => {
    const saved = process.env.CAR_AUTH_TOKEN;
    process.env.CAR_AUTH_TOKEN = "server-token-0123456789abcdef";
    process.env.CAR_SPAWN_TEST_VAR = "kept";
    try {
      const { lines } = await run(
        `console.log(String(process.env.CAR_AUTH_TOKEN)); console.log(String(process.env.CAR_SPAWN_TEST_VAR));`,
      );
      expect(lines).toEqual([
        ["stdout", "undefined"],
        ["stdout", "kept"],
      ]);
    } finally {
      if (saved === undefined) delete process.env.CAR_AUTH_TOKEN;
      else process.env.CAR_AUTH_TOKEN = saved;
      delete process.env.CAR_SPAWN_TEST_VAR;
    }
  });

  it("decodes invalid UTF-8 as U+FFFD, makes NUL visible and keeps a progress bar's last segment", async () => {
    const { lines } = await run(`process.stdout.write(Buffer.from([0x61, 0xff, 0x62, 0x0a]));
process.stdout.write("a\\u0000b\\n");
process.stdout.write("10%\\r50%\\r100%\\n");
process.stdout.write(Buffer.from("é\\n"));`);
    const texts = lines.map(([, t]) => t);
    expect(texts[0]).toBe("a\uFFFDb");
    expect(texts[1]).toBe("a\u2400b");
    expect(texts[2]).toBe("100%");
    expect(texts[3]).toBe("é");
  });

  it("passes a long line without newline on in pieces no larger than the cap", async () => {
    const { lines } = await run(
      `const chunk = "y".repeat(100_000);
for (let i = 0; i < 10; i++) process.stdout.write(chunk);
process.stdout.write("\\nend\\n");`,
      { maxLineBytes: 64 * 1024 },
    );
    const texts = lines.map(([, t]) => t);
    expect(texts.at(-1)).toBe("end");
    const body = texts.slice(0, -1);
    expect(body.length).toBeGreaterThan(1);
    expect(body.join("")).toBe("y".repeat(1_000_000));
    for (const t of body) expect(t.length).toBeLessThanOrEqual(64 * 1024 + 100_000);
  });

  it("ends a grandchild that keeps the pipe open after the leader exited", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const { exit } = await run(
      `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const g = spawn(process.execPath, ["-e", "setInterval(() => console.log('tick'), 100)"], { stdio: "inherit" });
writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
console.log("leader done");
process.exit(0);`,
      { drainMs: 300 },
    );
    expect(exit.code).toBe(0);
    const gpid = Number(await fsp.readFile(pidFile, "utf8"));
    await waitFor(() => !isProcessAlive(gpid), "grandchild to die");
    expect(isProcessAlive(gpid)).toBe(false);
  });

  it("kill() escalates to SIGKILL for a child that ignores SIGTERM, and ends its whole group", async () => {
    const { agent, child: gpid } = await startWithChild(
      `spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "ignore" })`,
      `process.on("SIGTERM", () => {});`,
    );
    await agent.kill(300);
    const exit = await agent.exited;
    expect(exit.signal).toBe("SIGKILL");
    expect(groupExists(agent.pid)).toBe(false);
    expect(isProcessAlive(gpid)).toBe(false);
  });

  it("ends what the agent left running in another session (found by the run marker), and counts it", async () => {
    const pidFile = join(dir, "job.pid");
    const lines: string[] = [];
    const agent = await spawnAgent({
      binary: process.execPath,
      args: [
        await script(`import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
// Like a codex tool call: a new session, so the agent's process group does not reach it.
const job = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
job.unref();
writeFileSync(${JSON.stringify(pidFile)}, String(job.pid));
console.log(process.env.${RUN_MARKER_ENV});`),
      ],
      cwd: dir,
      env: { ...process.env, [RUN_MARKER_ENV]: "outer-run" },
      stdin: "",
      marker: "car-test-marker",
      onLine: (_s, t) => {
        lines.push(t);
      },
    });
    expect(agent.marker).toBe("car-test-marker");
    await agent.exited;
    expect(lines).toEqual(["outer-run,car-test-marker"]);
    const job = Number(await fsp.readFile(pidFile, "utf8"));
    expect(isProcessAlive(job)).toBe(false);
    expect(agent.leftovers).toBe(1);
  });

  it("kill() also ends a background job in another session", async () => {
    const { agent, child: job } = await startWithChild(
      `spawn("sleep", ["30"], { detached: true, stdio: "ignore" })`,
    );
    expect(isProcessAlive(job)).toBe(true);
    await agent.kill(2_000);
    expect(isProcessAlive(job)).toBe(false);
    expect(groupExists(agent.pid)).toBe(false);
  });

  it("waits for a slow async consumer before reading on (back-pressure keeps order)", async () => {
    const seen: string[] = [];
    const agent = await spawnAgent({
      binary: process.execPath,
      args: [await script(`for (let i = 0; i < 2000; i++) console.log("line " + i);`)],
      cwd: dir,
      stdin: "",
      onLine: async (_s, t) => {
        if (seen.length % 500 === 0) await new Promise((r) => setTimeout(r, 5));
        seen.push(t);
      },
    });
    await agent.exited;
    expect(seen.length).toBe(2000);
    expect(seen[1999]).toBe("line 1999");
    expect(seen.every((t, i) => t === `line ${i}`)).toBe(true);
  });

  it("reports a missing binary as AGENT_NOT_FOUND naming codex.binary", async () => {
    const err = await spawnAgent({
      binary: "definitely-not-a-real-agent-binary",
      args: [],
      cwd: dir,
      stdin: "",
      onLine: () => {},
    }).catch((e: unknown) => e);
    expect(isCarError(err, "AGENT_NOT_FOUND")).toBe(true);
    expect((err as Error).message).toContain("definitely-not-a-real-agent-binary");
    expect((err as Error).message).toContain("codex.binary");
  });

  it("a spawn that throws at once (a NUL byte in an argument) lets its lifeline watcher go", async () => {
    const marker = newRunMarker();
    const err = await spawnAgent({
      binary: process.execPath,
      args: ["bad\0arg"],
      cwd: dir,
      stdin: "",
      marker,
      lifeline: { graceMs: 100 },
      onLine: () => {},
    }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("ERR_INVALID_ARG_VALUE");
    await waitFor(() => findLifelines(marker).length === 0, "the lifeline watcher to exit");
  });

  it("onLines gets each chunk's lines in one call, in order, the same as one call per line", async () => {
    const calls: Array<[LogStream, string[]]> = [];
    const agent = await spawnAgent({
      binary: process.execPath,
      args: [
        await script(`let s = "";
for (let i = 0; i < 20000; i++) s += "line " + i + "\\n";
process.stdout.write(s);
process.stdout.write("a\\u0000b\\r\\n10%\\r100%\\n" + "z".repeat(70000) + "\\nno newline");`),
      ],
      cwd: dir,
      stdin: "",
      onLines: async (s, lines) => {
        calls.push([s, lines]);
        if (calls.length % 3 === 0) await new Promise((r) => setTimeout(r, 2));
      },
    });
    await agent.exited;
    const all = calls.flatMap(([, l]) => l);
    expect(calls.every(([s]) => s === "stdout")).toBe(true);
    // 1.2 MB written in one go arrives in pipe-sized chunks: far fewer calls than lines.
    expect(calls.length).toBeLessThan(all.length / 10);
    expect(all.slice(0, 20000)).toEqual(Array.from({ length: 20000 }, (_, i) => `line ${i}`));
    expect(all.slice(20000)).toEqual([
      "a\u2400b",
      "100%",
      "z".repeat(65_536),
      "z".repeat(70_000 - 65_536),
      "no newline",
    ]);
  });

  it("splits any byte stream like a decode + sanitise per line would (random chunks, bad UTF-8, CR, NUL)", async () => {
    // Deterministic pseudo-random bytes: ASCII, multi-byte UTF-8, invalid bytes, \r, \n, NUL.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bytes: number[] = [];
    while (bytes.length < 300_000) bytes.push(...(BYTE_PIECES[rand(BYTE_PIECES.length)] as number[]));
    const data = Buffer.from(bytes);
    const dataFile = join(dir, "data.bin");
    await fsp.writeFile(dataFile, data);
    // Written in pieces of random sizes so chunk edges fall inside lines and inside UTF-8 sequences.
    const cuts: number[] = [];
    for (let at = 0; at < data.length; ) {
      at = Math.min(data.length, at + 1 + rand(5000));
      cuts.push(at);
    }

    const got: string[] = [];
    const agent = await spawnAgent({
      binary: process.execPath,
      args: [
        await script(`import { readFileSync, writeSync } from "node:fs";
const data = readFileSync(${JSON.stringify(dataFile)});
const cuts = ${JSON.stringify(cuts)};
let from = 0;
for (const to of cuts) {
  const piece = data.subarray(from, to);
  for (let done = 0; done < piece.length; ) {
    try { done += writeSync(1, piece, done); } catch (e) { if (e.code !== "EAGAIN") throw e; }
  }
  from = to;
}`),
      ],
      cwd: dir,
      stdin: "",
      onLines: (_s, lines) => {
        got.push(...lines);
      },
    });
    await agent.exited;

    const expected: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      let text = new TextDecoder().decode(data.subarray(start, nl));
      if (text.endsWith("\r")) text = text.slice(0, -1);
      expected.push(...sanitizeAgentLine(text));
      start = nl + 1;
    }
    if (start < data.length)
      expected.push(...sanitizeAgentLine(new TextDecoder().decode(data.subarray(start))));
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  });

  it("refuses to start without a line callback", async () => {
    const err = await spawnAgent({ binary: process.execPath, args: ["-e", "0"], cwd: dir, stdin: "" }).catch(
      (e: unknown) => e,
    );
    expect(isCarError(err, "INTERNAL")).toBe(true);
  });
});
