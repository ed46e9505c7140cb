import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import type { LogStream } from "../../types.js";
import { isProcessAlive } from "../lock.js";
import { groupExists, spawnAgent } from "./spawn.js";

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
    const lines: string[] = [];
    const pidFile = join(dir, "gc.pid");
    const agent = await spawnAgent({
      binary: process.execPath,
      args: [
        await script(`import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
process.on("SIGTERM", () => {});
const g = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "ignore" });
writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
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
    await agent.kill(300);
    const exit = await agent.exited;
    expect(exit.signal).toBe("SIGKILL");
    expect(groupExists(agent.pid)).toBe(false);
    const gpid = Number(await fsp.readFile(pidFile, "utf8"));
    expect(isProcessAlive(gpid)).toBe(false);
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
});
