import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderSteering } from "../../steer/prompt.js";
import { transpileTree } from "../../testing/transpile.js";
import { claimSteer, confirmSteer, recoverSteer, releaseSteer } from "./delivery.js";
import { appendSteer, listSteer } from "./queue.js";

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
let root: string;
let dir: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-steer-"));
  dir = join(root, "steer");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const states = async () => (await listSteer(dir)).messages.map((m) => [m.text, m.state, m.run_id]);

describe("claim / confirm / release", () => {
  it("claims pending messages for one run and confirms them delivered to it", async () => {
    await appendSteer(dir, "one");
    await appendSteer(dir, "two");
    const claimed = await claimSteer(dir, 4);
    expect(claimed.map((m) => [m.text, m.state, m.run_id])).toEqual([
      ["one", "delivering", 4],
      ["two", "delivering", 4],
    ]);
    expect(renderSteering(claimed)).toMatch(/Message 1 .*\none\n\nMessage 2 .*\ntwo\n<\/STEERING>\n\n$/);
    // A message sent during the run waits for the next one.
    await appendSteer(dir, "three");
    const confirmed = await confirmSteer(dir, 4);
    expect(confirmed.map((m) => m.text)).toEqual(["one", "two"]);
    expect(await states()).toEqual([
      ["one", "delivered", 4],
      ["two", "delivered", 4],
      ["three", "pending", null],
    ]);
    expect((await claimSteer(dir, 5)).map((m) => m.text)).toEqual(["three"]);
  });

  it("gives a retry attempt of the same run the same messages plus new ones", async () => {
    await appendSteer(dir, "a");
    await claimSteer(dir, 2);
    await appendSteer(dir, "b");
    expect((await claimSteer(dir, 2)).map((m) => m.text)).toEqual(["a", "b"]);
  });

  it("releases a run that did not finish: the next run gets the messages", async () => {
    await appendSteer(dir, "a");
    await claimSteer(dir, 2);
    expect(await releaseSteer(dir, 2)).toBe(1);
    expect(await states()).toEqual([["a", "pending", null]]);
    expect((await claimSteer(dir, 3)).map((m) => m.text)).toEqual(["a"]);
    expect((await confirmSteer(dir, 3)).map((m) => m.run_id)).toEqual([3]);
  });

  it("claims nothing from an empty or missing queue", async () => {
    expect(await claimSteer(dir, 1)).toEqual([]);
    expect(await confirmSteer(dir, 1)).toEqual([]);
    expect(await releaseSteer(dir, 1)).toBe(0);
  });
});

describe("a runner that dies mid-run (real process, SIGKILL)", () => {
  /** A child "runner" that claims for `runId`, reports, and then hangs until killed. */
  async function runnerThatDies(runId: number): Promise<string[]> {
    const deliveryJs = transpileTree(srcRoot, "node/steer/delivery.ts", join(root, "compiled"));
    const script = join(root, "runner.mjs");
    await fsp.writeFile(
      script,
      `import { claimSteer } from ${JSON.stringify(deliveryJs)};
       const claimed = await claimSteer(process.argv[2], Number(process.argv[3]));
       process.stdout.write(JSON.stringify(claimed.map((m) => m.text)) + "\\n");
       setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, [script, dir, String(runId)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const claimed = await new Promise<string[]>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(JSON.parse(out) as string[]);
      });
      child.once("exit", (code) => reject(new Error(`runner exited early (${code})`)));
    });
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    return claimed;
  }

  it("puts the messages of the unfinished run back and delivers them exactly once", async () => {
    await appendSteer(dir, "use sqlite");
    await appendSteer(dir, "skip the docs");
    expect(await runnerThatDies(7)).toEqual(["use sqlite", "skip the docs"]);
    expect((await states()).map((s) => s[1])).toEqual(["delivering", "delivering"]);

    // The next runner's start-up: run 7 was closed as interrupted, so it did not finish.
    const asked: number[] = [];
    const rec = await recoverSteer(dir, (run) => {
      asked.push(run);
      return false;
    });
    expect(rec).toEqual({ confirmed: [], released: [7] });
    expect(asked).toEqual([7]);

    expect((await claimSteer(dir, 8)).map((m) => m.text)).toEqual(["use sqlite", "skip the docs"]);
    await confirmSteer(dir, 8);
    expect(await claimSteer(dir, 9)).toEqual([]);
    expect(await states()).toEqual([
      ["use sqlite", "delivered", 8],
      ["skip the docs", "delivered", 8],
    ]);
  });

  it("confirms the messages of a run that finished before the runner died (not delivered twice)", async () => {
    await appendSteer(dir, "answer: keep v1");
    await runnerThatDies(3);
    expect(await recoverSteer(dir, (run) => run === 3)).toEqual({ confirmed: [3], released: [] });
    expect(await claimSteer(dir, 4)).toEqual([]);
    expect(await states()).toEqual([["answer: keep v1", "delivered", 3]]);
  });

  it("recovers a claim cut short: some messages moved, some still pending", async () => {
    const a = await appendSteer(dir, "a");
    await appendSteer(dir, "b");
    // What a crash between the two renames of claimSteer(6) leaves behind.
    await fsp.rename(join(dir, `${a.id}.pending.json`), join(dir, `${a.id}.delivering.6.json`));
    expect(await recoverSteer(dir, () => false)).toEqual({ confirmed: [], released: [6] });
    expect((await claimSteer(dir, 7)).map((m) => m.text)).toEqual(["a", "b"]);
  });
});
