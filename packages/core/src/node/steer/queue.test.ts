import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../../errors.js";
import { STEER_MAX_BYTES, STEER_MAX_PENDING, serializeSteerFile } from "../../steer/message.js";
import { transpileTree } from "../../testing/transpile.js";
import { claimSteer, confirmSteer } from "./delivery.js";
import { appendSteer, clearPendingSteer, deleteSteer, listSteer } from "./queue.js";

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
let root: string;
let dir: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-steer-"));
  dir = join(root, ".codex-autorunner", "steer");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCarError(err)) throw new Error(`expected a CarError, got ${String(err)}`);
  return err;
}

describe("appendSteer / listSteer", () => {
  it("creates the folder and lists pending messages oldest first", async () => {
    const a = await appendSteer(dir, "  first \n", { now: new Date("2026-12-04T22:00:00Z") });
    const b = await appendSteer(dir, "second", { now: new Date("2026-12-04T22:00:00Z") }); // same ms
    expect(a.text).toBe("first");
    expect(b.id > a.id).toBe(true);
    const { messages, corrupt } = await listSteer(dir);
    expect(messages.map((m) => [m.text, m.state, m.run_id])).toEqual([
      ["first", "pending", null],
      ["second", "pending", null],
    ]);
    expect(corrupt).toEqual([]);
    expect((await fsp.stat(join(dir, `${a.id}.pending.json`))).mode & 0o777).toBe(0o600);
  });

  it("lists an empty queue when the folder does not exist", async () => {
    expect(await listSteer(dir)).toEqual({ messages: [], corrupt: [] });
  });

  it("refuses a message over the size cap and appends nothing", async () => {
    const err = await rejection(appendSteer(dir, "x".repeat(STEER_MAX_BYTES + 1)));
    expect(err.details.reason).toBe("steer_too_large");
    expect((await listSteer(dir)).messages).toEqual([]);
  });

  it("refuses a message when the pending queue is full", async () => {
    await fsp.mkdir(dir, { recursive: true });
    const base = Date.parse("2026-12-04T22:00:00Z");
    for (let i = 0; i < STEER_MAX_PENDING; i++) {
      const id = `${base + i}-1-aaaaaa`;
      await fsp.writeFile(
        join(dir, `${id}.pending.json`),
        serializeSteerFile({ id, text: `m${i}`, created_at: new Date(base + i).toISOString() }),
      );
    }
    const err = await rejection(appendSteer(dir, "one too many"));
    expect(err.details).toMatchObject({ reason: "steer_queue_full", found: String(STEER_MAX_PENDING) });
    // Delivered ones do not count.
    await claimSteer(dir, 1);
    await confirmSteer(dir, 1);
    expect((await appendSteer(dir, "fits again")).state).toBe("pending");
  });

  it("reports a corrupt file by name and still lists the rest", async () => {
    const good = await appendSteer(dir, "good");
    const badName = "1764886291123-99-abcdef.pending.json";
    await fsp.writeFile(join(dir, badName), "{not json");
    await fsp.writeFile(join(dir, "README.txt"), "a stray file is ignored");
    const { messages, corrupt } = await listSteer(dir);
    expect(messages.map((m) => m.id)).toEqual([good.id]);
    expect(corrupt).toEqual([{ file: badName, error: expect.stringMatching(/invalid JSON/) }]);
    // A claim leaves it alone; deleting it by id removes it.
    expect((await claimSteer(dir, 3)).map((m) => m.id)).toEqual([good.id]);
    expect(await deleteSteer(dir, "1764886291123-99-abcdef")).toMatchObject({ state: "pending" });
    expect((await listSteer(dir)).corrupt).toEqual([]);
  });

  it("never follows, blocks on or slurps a planted file: symlink, FIFO, huge file are corrupt", async () => {
    const good = await appendSteer(dir, "good");
    // A symlink to a well-formed message outside the folder must not be read (nor /etc/passwd).
    const outside = join(root, "outside.json");
    const outId = "1764886291123-1-aaaaaa";
    await fsp.writeFile(
      outside,
      serializeSteerFile({ id: outId, text: "from outside", created_at: new Date().toISOString() }),
    );
    const link = `${outId}.pending.json`;
    await fsp.symlink(outside, join(dir, link));
    // A FIFO with no writer would block a plain read forever (the listing and the runner's claim).
    const fifo = "1764886291123-2-bbbbbb.pending.json";
    await new Promise<void>((res, rej) =>
      spawn("mkfifo", [join(dir, fifo)]).on("exit", (c) => (c === 0 ? res() : rej(new Error(`mkfifo ${c}`)))),
    );
    const huge = "1764886291123-3-cccccc.pending.json";
    await fsp.writeFile(join(dir, huge), Buffer.alloc(2 * 1024 * 1024, 0x20));
    const { messages, corrupt } = await listSteer(dir);
    expect(messages.map((m) => m.id)).toEqual([good.id]);
    expect(corrupt).toEqual([
      { file: link, error: expect.stringMatching(/symbolic link/) },
      { file: fifo, error: "not a regular file" },
      { file: huge, error: expect.stringMatching(/over the \d+-byte limit/) },
    ]);
    expect((await claimSteer(dir, 1)).map((m) => m.id)).toEqual([good.id]);
    // Deleting the link removes the link, never its target.
    await deleteSteer(dir, outId);
    expect(await fsp.readFile(outside, "utf8")).toContain("from outside");
  });
});

describe("deleteSteer / clearPendingSteer", () => {
  it("deletes pending and delivered messages by id, refuses one being delivered", async () => {
    const a = await appendSteer(dir, "a");
    await claimSteer(dir, 5);
    const b = await appendSteer(dir, "b");
    const err = await rejection(deleteSteer(dir, a.id));
    expect(err.details).toMatchObject({ reason: "steer_delivering", run_id: 5 });
    expect(await deleteSteer(dir, b.id)).toEqual({ id: b.id, state: "pending", run_id: null });
    await confirmSteer(dir, 5);
    expect(await deleteSteer(dir, a.id)).toEqual({ id: a.id, state: "delivered", run_id: 5 });
    expect(await deleteSteer(dir, a.id)).toBeNull();
    expect((await listSteer(dir)).messages).toEqual([]);
  });

  it("refuses an id that is not one (no path tricks)", async () => {
    expect((await rejection(deleteSteer(dir, "../config.yml"))).code).toBe("INVALID_ARGUMENT");
  });

  it("clears pending messages only", async () => {
    await appendSteer(dir, "old");
    await claimSteer(dir, 1);
    await appendSteer(dir, "x");
    await appendSteer(dir, "y");
    expect(await clearPendingSteer(dir)).toBe(2);
    expect((await listSteer(dir)).messages.map((m) => [m.text, m.state])).toEqual([["old", "delivering"]]);
  });
});

describe("concurrent writers (real processes)", () => {
  it("20 processes appending at once while the runner claims: every message lands exactly once", async () => {
    const queueJs = transpileTree(srcRoot, "node/steer/queue.ts", join(root, "compiled"));
    const script = join(root, "writer.mjs");
    await fsp.writeFile(
      script,
      `import { appendSteer } from ${JSON.stringify(queueJs)};
       const [dir, who, count] = process.argv.slice(2);
       process.stdout.write("ready\\n");
       process.stdin.once("data", async () => {
         const ids = [];
         for (let k = 0; k < Number(count); k++) ids.push((await appendSteer(dir, who + ":" + k)).id);
         process.stdout.write(JSON.stringify(ids) + "\\n");
         process.exit(0);
       });`,
    );
    const writers = 20;
    const each = 4;
    const children = Array.from({ length: writers }, (_, i) => {
      const child = spawn(process.execPath, [script, dir, `w${i}`, String(each)], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      const ready = new Promise<void>((res) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("ready\n")) res();
        });
      });
      const done = new Promise<string[]>((res, rej) => {
        // "close", not "exit": only then has all of its stdout been read.
        child.once("close", (code) => {
          const ids = out.split("\n").find((l) => l.startsWith("["));
          if (code !== 0 || !ids) rej(new Error(`writer ${i} exited ${code}: ${out}`));
          else res(JSON.parse(ids) as string[]);
        });
      });
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.write("go\n");

    // The runner meanwhile: claim and confirm run after run.
    let run = 0;
    let writing = true;
    const all = Promise.all(children.map((c) => c.done)).finally(() => {
      writing = false;
    });
    while (writing) {
      run++;
      await claimSteer(dir, run);
      await confirmSteer(dir, run);
    }
    const written = (await all).flat();
    run++;
    await claimSteer(dir, run);
    await confirmSteer(dir, run);

    expect(written).toHaveLength(writers * each);
    expect(new Set(written).size).toBe(writers * each);
    const { messages, corrupt } = await listSteer(dir);
    expect(corrupt).toEqual([]);
    expect(messages.map((m) => m.id).sort()).toEqual([...written].sort());
    expect(messages.every((m) => m.state === "delivered" && m.run_id !== null)).toBe(true);
    // One writer's messages keep their order.
    for (let i = 0; i < writers; i++) {
      const mine = messages.filter((m) => m.text.startsWith(`w${i}:`)).map((m) => m.text);
      expect(mine).toEqual(Array.from({ length: each }, (_, k) => `w${i}:${k}`));
    }
    // No temp files left behind.
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
