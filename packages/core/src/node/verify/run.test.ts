import { promises as fsp, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RUN_MARKER_ENV } from "../../proc/marker.js";
import type { LogStream } from "../../types.js";
import type { VerifyCommand } from "../../verify/settings.js";
import { cutNote } from "../../verify/tail.js";
import { isProcessAlive } from "../proc/procfs.js";
import { type RunVerifyOptions, runVerify } from "./run.js";

let dir: string;
beforeEach(async () => {
  dir = realpathSync(await fsp.mkdtemp(join(tmpdir(), "car-verify-")));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** runVerify in `dir`, collecting the output lines as `[name stream] text`. */
async function verify(commands: VerifyCommand[], opts: RunVerifyOptions & { maxChars?: number } = {}) {
  const lines: string[] = [];
  const outcome = await runVerify(
    dir,
    { commands, output_max_chars: opts.maxChars ?? 4000 },
    {
      killGraceMs: 500,
      ...opts,
      onLine: async (stream: LogStream, text: string, c: VerifyCommand) => {
        lines.push(`[${c.name} ${stream}] ${text}`);
        await opts.onLine?.(stream, text, c);
      },
    },
  );
  return { outcome, lines };
}

async function pidIn(file: string): Promise<number> {
  return Number((await fsp.readFile(join(dir, file), "utf8")).trim());
}

describe("runVerify", () => {
  it("runs a passing command with sh in the repo root, streaming both outputs", async () => {
    const starts: number[] = [];
    const { outcome, lines } = await verify([{ name: "test", run: "pwd; echo oops >&2; echo done" }], {
      onStart: (_c, info) => void starts.push(info.pid),
    });
    // The two pipes are read independently: their relative order is not fixed.
    expect([...lines].sort()).toEqual(
      [`[test stdout] ${dir}`, "[test stderr] oops", "[test stdout] done"].sort(),
    );
    expect(outcome).toMatchObject({ passed: true, failed_command: null, aborted: false });
    expect(outcome.commands).toEqual([
      {
        name: "test",
        command: "pwd; echo oops >&2; echo done",
        exit_code: 0,
        signal: null,
        timed_out: false,
        timeout_seconds: null,
        duration_ms: expect.any(Number),
        passed: true,
        output_tail: expect.stringContaining("done"),
      },
    ]);
    expect(outcome.commands[0]?.output_tail.split("\n").sort()).toEqual([dir, "done", "oops"]);
    expect(starts).toHaveLength(1);
  });

  it("fails with the command's exit code and runs nothing after the first failure", async () => {
    const ended: string[] = [];
    const { outcome } = await verify(
      [
        { name: "build", run: "echo built" },
        { name: "test", run: "echo 'FAIL a.test.ts'; exit 3" },
        { name: "lint", run: "touch lint-ran" },
      ],
      { onEnd: (r) => void ended.push(`${r.name}:${r.passed}`) },
    );
    expect(outcome).toMatchObject({ passed: false, failed_command: "test", aborted: false });
    expect(outcome.commands.map((c) => [c.name, c.exit_code, c.passed])).toEqual([
      ["build", 0, true],
      ["test", 3, false],
    ]);
    expect(outcome.commands[1]?.output_tail).toBe("FAIL a.test.ts");
    expect(ended).toEqual(["build:true", "test:false"]);
    await expect(fsp.access(join(dir, "lint-ran"))).rejects.toThrow();
  });

  it("kills a command over its time limit with everything it started, even in another session", async () => {
    const run =
      "sleep 300 & echo $! > bg.pid; setsid sleep 301 & echo $! > session.pid; echo waiting; sleep 302";
    const { outcome, lines } = await verify([{ name: "slow", run, timeout_seconds: 1 }]);
    expect(lines).toEqual(["[slow stdout] waiting"]);
    const [r] = outcome.commands;
    expect(r).toMatchObject({
      exit_code: null,
      signal: "SIGTERM",
      timed_out: true,
      timeout_seconds: 1,
      passed: false,
    });
    expect(outcome).toMatchObject({ passed: false, failed_command: "slow" });
    expect(isProcessAlive(await pidIn("bg.pid"))).toBe(false);
    expect(isProcessAlive(await pidIn("session.pid"))).toBe(false);
  });

  it("kills with SIGKILL after the grace what ignores SIGTERM", async () => {
    const run = "trap '' TERM; sleep 300 & echo $! > bg.pid; sleep 301";
    const { outcome } = await verify([{ name: "stubborn", run, timeout_seconds: 0.5 }], { killGraceMs: 300 });
    expect(outcome.commands[0]).toMatchObject({ signal: "SIGKILL", timed_out: true, passed: false });
    expect(isProcessAlive(await pidIn("bg.pid"))).toBe(false);
  });

  it("takes the run's timeout for a command without one", async () => {
    const { outcome } = await verify([{ name: "slow", run: "sleep 300" }], { defaultTimeoutSeconds: 0.5 });
    expect(outcome.commands[0]).toMatchObject({ timed_out: true, timeout_seconds: 0.5, passed: false });
  });

  it("ends what a passing command left running in the background", async () => {
    const { outcome } = await verify([
      { name: "daemon", run: "sleep 300 >/dev/null 2>&1 & echo $! > bg.pid; echo started" },
    ]);
    expect(outcome.passed).toBe(true);
    expect(isProcessAlive(await pidIn("bg.pid"))).toBe(false);
  });

  it("keeps a bounded tail of a long output while every line is streamed", async () => {
    const { outcome, lines } = await verify([{ name: "noisy", run: "seq 1 100000; exit 1" }], {
      maxChars: 200,
    });
    expect(lines).toHaveLength(100_000);
    const tail = outcome.commands[0]?.output_tail ?? "";
    const [note, ...kept] = tail.split("\n");
    expect(kept.join("\n").length).toBeLessThanOrEqual(200);
    expect(kept.at(-1)).toBe("100000");
    expect(kept[0]).toMatch(/^\d+$/);
    const all = Array.from({ length: 100_000 }, (_, i) => String(i + 1)).join("\n");
    expect(note).toBe(cutNote(all.length - kept.join("\n").length, 100_000 - kept.length));
  });

  it("on abort ends the running command's processes, runs no more, and gives no verdict", async () => {
    const ac = new AbortController();
    const { outcome } = await verify(
      [
        { name: "long", run: "sleep 300 & echo $! > bg.pid; echo started; sleep 301" },
        { name: "next", run: "touch next-ran" },
      ],
      {
        signal: ac.signal,
        onLine: (_s, text) => {
          if (text === "started") ac.abort();
        },
      },
    );
    expect(outcome).toMatchObject({ passed: false, failed_command: null, aborted: true });
    expect(outcome.commands.map((c) => [c.name, c.signal])).toEqual([["long", "SIGTERM"]]);
    expect(isProcessAlive(await pidIn("bg.pid"))).toBe(false);
    await expect(fsp.access(join(dir, "next-ran"))).rejects.toThrow();
    // Already aborted: nothing runs.
    const again = await verify([{ name: "next", run: "touch next-ran" }], { signal: ac.signal });
    expect(again.outcome).toMatchObject({ aborted: true, commands: [] });
  });

  it("puts the run's marker in the commands' environment, under a marker of their own", async () => {
    const { lines } = await verify([{ name: "env", run: `echo "$${RUN_MARKER_ENV}"` }], {
      runMarker: "car-run7",
      env: { ...process.env, [RUN_MARKER_ENV]: "car-outer" },
    });
    expect(lines).toEqual([expect.stringMatching(/^\[env stdout\] car-outer,car-run7,car-[0-9a-f]+$/)]);
  });

  it("records a command that could not start as a failure", async () => {
    const gone = join(dir, "missing");
    const outcome = await runVerify(gone, { commands: [{ name: "t", run: "true" }], output_max_chars: 4000 });
    expect(outcome).toMatchObject({ passed: false, failed_command: "t" });
    expect(outcome.commands[0]).toMatchObject({ exit_code: null, signal: null, passed: false });
    expect(outcome.commands[0]?.output_tail).toContain(`could not start \`sh -c\` in ${gone}`);
  });

  it("passes with no commands", async () => {
    expect(await runVerify(dir, { commands: [], output_max_chars: 10 })).toEqual({
      passed: true,
      failed_command: null,
      commands: [],
      aborted: false,
    });
  });
});
