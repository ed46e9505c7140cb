import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SteerListBody } from "@codex-autorunner/core";
import { carPaths, claimSteer, confirmSteer } from "@codex-autorunner/core/node";
import { makeTempRepo, runCar, type TempRepo } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";

// `car steer` through the BUILT bin: the queue is core's (one file per message); these check the
// command's ways in (argument, file, stdin), its listing, and that concurrent writers lose nothing.

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

async function list(root: string): Promise<SteerListBody> {
  const r = await runCar(["steer", "--list", "--json"], { cwd: root });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SteerListBody;
}

describe("car steer (built bin)", () => {
  it("queues from an argument, a file and stdin, oldest first, and keeps the queue out of git", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    expect(readFileSync(join(repo.dir, ".gitignore"), "utf8")).not.toContain("steer/");
    const a = await runCar(["steer", "use the existing logger"], { cwd: root });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^car: queued \d{13}-\d+-[0-9a-f]{6}; no loop is running: the next `car run`/);
    writeFileSync(join(root, "note.md"), "from a file\nsecond line\n");
    expect((await runCar(["steer", "--file", "note.md"], { cwd: root })).code).toBe(0);
    expect((await runCar(["steer", "-"], { cwd: root, input: "  from stdin\n" })).code).toBe(0);

    const body = await list(root);
    expect(body.corrupt).toEqual([]);
    expect(body.messages.map((m) => [m.text, m.state, m.run_id])).toEqual([
      ["use the existing logger", "pending", null],
      ["from a file\nsecond line", "pending", null],
      ["from stdin", "pending", null],
    ]);
    // The folder ignores itself: the (tracked) .gitignore beside it is not edited.
    expect(readFileSync(join(repo.dir, ".gitignore"), "utf8")).not.toContain("steer/");
    const untracked = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(untracked).not.toContain("steer/");
  });

  it("lists where each message went; --delete removes one, --clear the pending ones", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    const dir = carPaths(root).steerDir;
    await runCar(["steer", "first"], { cwd: root });
    // Delivered to run 3 by core's own delivery steps (what the runner does).
    await claimSteer(dir, 3);
    await confirmSteer(dir, 3);
    await runCar(["steer", "second"], { cwd: root });
    await runCar(["steer", "third"], { cwd: root });

    const human = await runCar(["steer", "--list"], { cwd: root });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^\S+ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}delivered → run 3\n {4}first$/m);
    expect(human.stdout).toMatch(/pending\n {4}second$/m);

    const [first, second, third] = (await list(root)).messages;
    expect(first).toMatchObject({ text: "first", state: "delivered", run_id: 3 });
    const del = await runCar(["steer", "--delete", second!.id], { cwd: root });
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`deleted ${second!.id} (pending)`);
    expect((await list(root)).messages.map((m) => m.text)).toEqual(["first", "third"]);

    const again = await runCar(["steer", "--delete", second!.id], { cwd: root });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no steering message ${second!.id}`);
    const bad = await runCar(["steer", "--delete", "../../etc/passwd"], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not a steering message id");

    const clear = await runCar(["steer", "--clear"], { cwd: root });
    expect(clear.stdout).toContain("removed 1 pending message");
    const left = (await list(root)).messages;
    expect(left.map((m) => m.id)).toEqual([first!.id]);
    expect(left.some((m) => m.id === third!.id)).toBe(false);
  });

  it("concurrent `car steer` processes: every message is listed exactly once", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    const texts = Array.from({ length: 8 }, (_, i) => `message ${i}`);
    const results = await Promise.all(texts.map((t) => runCar(["steer", t], { cwd: root })));
    expect(results.map((r) => r.code)).toEqual(texts.map(() => 0));
    const listed = (await list(root)).messages.map((m) => m.text);
    expect([...listed].sort()).toEqual([...texts].sort());
    expect(new Set((await list(root)).messages.map((m) => m.id)).size).toBe(texts.length);
  });

  it("refuses a too-large or empty message with exit 2 and queues nothing", async () => {
    repo = makeTempRepo();
    const root = repo.root;
    writeFileSync(join(root, "big.txt"), "x".repeat(17 * 1024));
    const big = await runCar(["steer", "--file", "big.txt"], { cwd: root });
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/^car: the steering message is 17408 bytes; the limit is 16384 bytes/m);
    const empty = await runCar(["steer", "-"], { cwd: root, input: " \n" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("the steering message is empty");
    // An endless source is cut off at a bound, not read into memory.
    const endless = await runCar(["steer", "--file", "/dev/zero"], { cwd: root });
    expect(endless.code).toBe(2);
    expect(endless.stderr).toContain("--file /dev/zero is over 1048576 bytes");
    const missing = await runCar(["steer", "--file", "nope.txt"], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--file nope.txt: no such file");
    expect((await list(root)).messages).toEqual([]);
    const dir = carPaths(root).steerDir;
    expect(existsSync(dir) ? readdirSync(dir).filter((f) => f !== ".gitignore") : []).toEqual([]);
  });

  it("needs one way in; a repo without `car init` is told to run it", async () => {
    repo = makeTempRepo();
    const none = await runCar(["steer"], { cwd: repo.root });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Give a message");
    const two = await runCar(["steer", "hi", "--list"], { cwd: repo.root });
    expect(two.code).toBe(2);
    const json = await runCar(["steer", "hi", "--json"], { cwd: repo.root });
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("--json goes with --list");

    const bare = makeTempRepo({ prefix: "car-steer-bare-" });
    try {
      rmSync(bare.dir, { recursive: true });
      const r = await runCar(["steer", "hello"], { cwd: bare.root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("car init");
      expect(existsSync(bare.dir)).toBe(false);
    } finally {
      bare.cleanup();
    }
  });
});
