import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { transpileTree } from "../../testing/transpile.js";
import { claimSteer } from "./delivery.js";
import { appendSteer } from "./queue.js";
import { waitForSteer } from "./wait.js";

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
let root: string;
let dir: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-steer-wait-"));
  dir = join(root, ".codex-autorunner", "steer");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("waitForSteer", () => {
  it("wakes when another process queues a message (fs.watch; the poll is too slow to pass)", async () => {
    const queueJs = transpileTree(srcRoot, "node/steer/queue.ts", join(root, "compiled"));
    const waiting = waitForSteer(dir, { timeoutMs: 20_000, pollMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { appendSteer } from ${JSON.stringify(queueJs)}; await appendSteer(${JSON.stringify(dir)}, "go on");`,
      ],
      { stdio: "inherit" },
    );
    await new Promise((r) => child.once("exit", r));
    expect(await waiting).toBe("message");
  });

  it("falls back to the poll when watching is not possible", async () => {
    // The folder is replaced after the watch started: the watcher sees the old one only.
    const waiting = waitForSteer(dir, { timeoutMs: 20_000, pollMs: 100 });
    await new Promise((r) => setTimeout(r, 100));
    await fsp.rm(dir, { recursive: true });
    await appendSteer(dir, "after the folder came back");
    expect(await waiting).toBe("message");
  });

  it("returns at once when a message is already pending, unless it is not newer than `after`", async () => {
    const m = await appendSteer(dir, "already here");
    expect(await waitForSteer(dir, { timeoutMs: 5_000 })).toBe("message");
    expect(await waitForSteer(dir, { timeoutMs: 200, after: m.id })).toBe("timeout");
  });

  it("does not count messages already claimed for a run", async () => {
    await appendSteer(dir, "claimed");
    await claimSteer(dir, 1);
    expect(await waitForSteer(dir, { timeoutMs: 200 })).toBe("timeout");
  });

  it("does not count a corrupt pending file (it is never delivered)", async () => {
    const m = await appendSteer(dir, "will be spoiled");
    const file = (await fsp.readdir(dir)).find((f) => f.includes(m.id)) as string;
    await fsp.writeFile(join(dir, file), "not json");
    expect(await waitForSteer(dir, { timeoutMs: 200 })).toBe("timeout");
  });

  it("ends when aborted (car stop)", async () => {
    const ac = new AbortController();
    const waiting = waitForSteer(dir, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect(await waiting).toBe("aborted");
    expect(await waitForSteer(dir, { signal: AbortSignal.abort() })).toBe("aborted");
  });
});
