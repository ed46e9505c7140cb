import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp, mkdirSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { acquireLock, lockStatus, lockTakenBy, readLock, releaseLock, releaseLockSync } from "./lock.js";
import { isProcessAlive, processStartTime } from "./proc/procfs.js";

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-lock-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid as number;
}

/** Compile lock.ts and what it imports to plain JS so real `node` children can race on it. */
function compileLockModule(outDir: string): string {
  const node = ["node/lock.ts", "node/fs/atomic.ts", "node/fs/errors.ts", "node/proc/procfs.ts"];
  for (const file of [...node, "lock/holder.ts", "proc/marker.ts", "proc/stat.ts", "errors.ts", "types.ts"]) {
    const source = ts.sys.readFile(join(srcRoot, file)) as string;
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const target = join(outDir, file.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
  }
  writeFileSync(join(outDir, "package.json"), '{"type":"module"}\n');
  return join(outDir, "node/lock.js");
}

describe("acquireLock", () => {
  it("lets exactly one of 30 concurrent child processes win", async () => {
    const lockJs = compileLockModule(join(dir, "compiled"));
    const lockPath = join(dir, "race.lock");
    // A stale lock to begin with, so the racers also race on the takeover path.
    await fsp.writeFile(lockPath, `${await deadPid()}\n`);
    const script = `
      import { acquireLock } from ${JSON.stringify(`./${relative(dir, lockJs)}`)};
      process.stdout.write("ready\\n");
      process.stdin.once("data", async () => {
        try {
          await acquireLock(${JSON.stringify(lockPath)});
          process.stdout.write(JSON.stringify({ won: true }) + "\\n");
          process.stdin.once("end", () => process.exit(0)); // hold the lock until told to go
        } catch (e) {
          process.stdout.write(JSON.stringify({ won: false, code: e.code, pid: e.details?.pid }) + "\\n");
          process.exit(0);
        }
      });
    `;
    const scriptPath = join(dir, "racer.mjs");
    await fsp.writeFile(scriptPath, script);

    const children: ChildProcess[] = [];
    const outputs: string[] = [];
    const ready: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const child = spawn(process.execPath, [scriptPath], { cwd: dir, stdio: ["pipe", "pipe", "inherit"] });
      children.push(child);
      outputs.push("");
      ready.push(
        new Promise((resolve) => {
          child.stdout?.on("data", (d: Buffer) => {
            outputs[i] += d.toString();
            if (outputs[i]?.includes("ready\n")) resolve();
          });
        }),
      );
      done.push(
        new Promise((resolve) => {
          child.stdout?.on("data", () => {
            if (outputs[i]?.includes("}\n")) resolve();
          });
        }),
      );
    }
    await Promise.all(ready);
    for (const c of children) c.stdin?.write("go\n");
    await Promise.all(done);

    const results = outputs.map(
      (o) => JSON.parse(o.split("\n").find((l) => l.startsWith("{")) as string) as Record<string, unknown>,
    );
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const winnerPid = children[results.findIndex((r) => r.won)]?.pid;
    const losers = results.filter((r) => !r.won);
    expect(losers.every((r) => r.code === "LOCK_HELD" && r.pid === winnerPid)).toBe(true);
    expect((await readLock(lockPath))?.pid).toBe(winnerPid);

    await Promise.all(
      children.map(
        (c) =>
          new Promise((r) => {
            if (c.exitCode !== null) r(null);
            else {
              c.once("exit", r);
              c.stdin?.end();
            }
          }),
      ),
    );
    // The winner exited without releasing: its lock is now stale, and no takeover guard is left behind.
    expect((await lockStatus(lockPath)).alive).toBe(false);
    await expect(fsp.access(`${lockPath}.takeover`)).rejects.toThrow();
  }, 120_000);

  it("writes JSON LockInfo with this process's start time and releases only its own lock", async () => {
    const path = join(dir, "own.lock");
    const handle = await acquireLock(path, { host: "test-host" });
    const info = JSON.parse(await fsp.readFile(path, "utf8"));
    expect(info.pid).toBe(process.pid);
    expect(info.host).toBe("test-host");
    expect(info.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(info.pid_start).toBe(processStartTime(process.pid));
    expect(info.pid_start).toMatch(/^\d+$/);
    expect(await releaseLock(handle)).toBe(true);
    await expect(fsp.access(path)).rejects.toThrow();

    // Someone else's lock at the same path is not removed by our stale handle.
    await fsp.writeFile(path, JSON.stringify({ pid: 1, host: "x", started_at: null }));
    expect(await releaseLock(handle)).toBe(false);
    expect(releaseLockSync(handle)).toBe(false);
    expect((await readLock(path))?.pid).toBe(1);
  });

  it("refuses a live holder with LOCK_HELD naming the PID, and --force takes over", async () => {
    const path = join(dir, "live.lock");
    await acquireLock(path);
    const err = await acquireLock(path).catch((e: unknown) => e);
    expect(isCarError(err, "LOCK_HELD")).toBe(true);
    expect((err as { details: { pid: number } }).details.pid).toBe(process.pid);
    expect((err as Error).message).toContain(String(process.pid));
    const forced = await acquireLock(path, { force: true });
    expect((await readLock(path))?.started_at).toBe(forced.info.started_at);
    expect(releaseLockSync(forced)).toBe(true);
  });

  it("with force, ends a live holder identified by its start time (takeOver) before taking the lock", async () => {
    const path = join(dir, "takeover.lock");
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const pid = holder.pid as number;
    const info = { pid, host: hostname(), started_at: null, pid_start: processStartTime(pid), token: "old" };
    await fsp.writeFile(path, JSON.stringify(info));
    const ended: number[] = [];
    const takeOver = async (h: { pid: number }) => {
      ended.push(h.pid);
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    };
    expect(isCarError(await acquireLock(path, { takeOver }).catch((e: unknown) => e), "LOCK_HELD")).toBe(
      true,
    );
    expect(ended, "never without force").toEqual([]);
    const handle = await acquireLock(path, { force: true, takeOver });
    expect(ended).toEqual([pid]);
    expect((await readLock(path))?.token).toBe(handle.info.token);
    await releaseLock(handle);
  });

  it("with force, replaces an unidentifiable holder's lock without ending it, and refuses one that survives", async () => {
    const path = join(dir, "bare-force.lock");
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const pid = holder.pid as number;
    try {
      const takeOver = async () => {}; // ends nothing
      await fsp.writeFile(path, `${pid}\n`); // the original's bare PID: no start time to be sure
      const handle = await acquireLock(path, { force: true, takeOver });
      expect(isProcessAlive(pid)).toBe(true);
      await releaseLock(handle);
      await fsp.writeFile(
        path,
        JSON.stringify({ pid, host: "", started_at: null, pid_start: processStartTime(pid) }),
      );
      const err = await acquireLock(path, { force: true, takeOver }).catch((e: unknown) => e);
      expect(isCarError(err, "LOCK_HELD")).toBe(true);
      expect((err as Error).message).toContain("survived");
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("lockTakenBy: null while the lock is ours (or gone), the new holder once another took it", async () => {
    const path = join(dir, "taken.lock");
    const handle = await acquireLock(path);
    expect(lockTakenBy(handle)).toBeNull();
    await fsp.rm(path);
    expect(lockTakenBy(handle), "a missing lock is not a takeover").toBeNull();
    // Same process, same start time: only the token tells a later lock from ours.
    await fsp.writeFile(path, JSON.stringify({ ...handle.info, token: "someone-else" }));
    expect(lockTakenBy(handle)).toMatchObject({ pid: process.pid, token: "someone-else" });
    await fsp.rm(path);
  });

  it("replaces a lock whose PID is dead", async () => {
    const path = join(dir, "dead.lock");
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    await fsp.writeFile(path, JSON.stringify({ pid, host: "", started_at: "2020-01-01T00:00:00Z" }));
    expect(await lockStatus(path)).toMatchObject({ alive: false, info: { pid } });
    const handle = await acquireLock(path);
    expect((await readLock(path))?.pid).toBe(process.pid);
    await releaseLock(handle);
  });

  it("treats a live PID with a different start time as a reused PID (stale)", async () => {
    const path = join(dir, "reused.lock");
    const lock = { pid: process.pid, host: "", started_at: "2020-01-01T00:00:00Z", pid_start: "1" };
    await fsp.writeFile(path, JSON.stringify(lock));
    expect((await lockStatus(path)).alive).toBe(false);
    const handle = await acquireLock(path);
    expect((await readLock(path))?.pid_start).toBe(processStartTime(process.pid));
    await releaseLock(handle);
  });

  describe("the original's JSON lock ({pid, started_at, host}, no pid_start)", () => {
    /** A live process with this argv0 (and for node, a script at `script`): started now. */
    async function live(command: string, args: string[], argv0: string): Promise<ChildProcess> {
      const child = spawn(command, args, { argv0, stdio: "ignore" });
      await new Promise((r, j) => child.once("spawn", r).once("error", j));
      return child;
    }
    const pythonLock = (pid: number, startedAt: Date) =>
      JSON.stringify({ pid, started_at: startedAt.toISOString(), host: hostname() });

    it("is stale when its PID is now a process that started after started_at", async () => {
      const path = join(dir, "py-later.lock");
      // Looks like a runner by its name: only the start time gives the reuse away.
      const child = await live("sleep", ["600"], "codex-autorunner");
      try {
        await fsp.writeFile(path, pythonLock(child.pid as number, new Date(Date.now() - 3_600_000)));
        expect((await lockStatus(path)).alive).toBe(false);
        const handle = await acquireLock(path);
        expect((await readLock(path))?.pid).toBe(process.pid);
        await releaseLock(handle);
      } finally {
        child.kill("SIGKILL");
      }
    });

    it("is stale when its PID is a live process that is not a runner (`sleep`), even one started before", async () => {
      const path = join(dir, "py-sleep.lock");
      const child = await live("sleep", ["600"], "sleep");
      try {
        await fsp.writeFile(path, pythonLock(child.pid as number, new Date(Date.now() + 60_000)));
        expect((await lockStatus(path)).alive).toBe(false);
        const handle = await acquireLock(path);
        expect(isProcessAlive(child.pid as number), "a stale lock's process is not touched").toBe(true);
        await releaseLock(handle);
      } finally {
        child.kill("SIGKILL");
      }
    });

    it("is held by a live runner (python running codex-autorunner, or car) that started before started_at", async () => {
      const path = join(dir, "py-runner.lock");
      const script = join(dir, "codex-autorunner");
      await fsp.writeFile(script, "setInterval(() => {}, 1000);\n");
      const python = await live(process.execPath, [script, "run"], "python3");
      const car = await live("sleep", ["600"], "car");
      try {
        for (const child of [python, car]) {
          await fsp.writeFile(path, pythonLock(child.pid as number, new Date(Date.now() + 60_000)));
          expect((await lockStatus(path)).alive).toBe(true);
          const err = await acquireLock(path).catch((e: unknown) => e);
          expect(isCarError(err, "LOCK_HELD")).toBe(true);
          expect((err as Error).message).toContain(String(child.pid));
        }
      } finally {
        python.kill("SIGKILL");
        car.kill("SIGKILL");
      }
    });
  });

  it("reads the original's bare-PID lock", async () => {
    const path = join(dir, "bare.lock");
    await fsp.writeFile(path, "12345\n");
    expect(await readLock(path)).toEqual({ pid: 12345, host: "", started_at: null, pid_start: null });
    // A bare PID of a live process holds the lock.
    await fsp.writeFile(path, `${process.pid}\n`);
    expect((await lockStatus(path)).alive).toBe(true);
    const err = await acquireLock(path).catch((e: unknown) => e);
    expect(isCarError(err, "LOCK_HELD")).toBe(true);
  });

  it("reports an unparseable lock as LOCK_CORRUPT naming the file unless forced", async () => {
    const path = join(dir, "corrupt.lock");
    await fsp.writeFile(path, "{not json");
    const err = await acquireLock(path).catch((e: unknown) => e);
    expect(isCarError(err, "LOCK_CORRUPT")).toBe(true);
    expect((err as Error).message).toContain(path);
    await expect(readLock(path)).rejects.toMatchObject({ code: "LOCK_CORRUPT" });
    expect((await lockStatus(path)).corrupt).toContain(path);
    const handle = await acquireLock(path, { force: true });
    expect((await readLock(path))?.pid).toBe(process.pid);
    await releaseLock(handle);
  });

  it("has no lock → status without holder", async () => {
    expect(await lockStatus(join(dir, "none.lock"))).toEqual({ info: null, alive: false });
    expect(await readLock(join(dir, "none.lock"))).toBeNull();
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(-1)).toBe(false);
  });
});
