import { describe, expect, it } from "vitest";
import type { LockInfo } from "../types.js";
import { type HolderProbe, isLockHeld, lockTimeMs, looksLikeRunner } from "./holder.js";

const HOST = "here";
const T = Date.parse("2026-03-01T10:00:00Z");

/** A probe with these facts that records which ones were asked for. */
function probe(facts: Partial<{ alive: boolean; ticks: string; startedAt: number; argv: string[] }>) {
  const asked: string[] = [];
  const ask = <T>(name: string, value: T): T => {
    asked.push(name);
    return value;
  };
  const p: HolderProbe = {
    alive: () => ask("alive", facts.alive ?? true),
    startTicks: () => ask("ticks", facts.ticks ?? null),
    startedAtMs: () => ask("startedAt", facts.startedAt ?? null),
    argv: () => ask("argv", facts.argv ?? null),
  };
  return { p, asked };
}

const python: LockInfo = { pid: 42, host: HOST, started_at: "2026-03-01T10:00:00Z" };
const RUNNER = ["python3", "/usr/local/bin/codex-autorunner", "run"];

describe("isLockHeld", () => {
  it("holds another host's lock without looking at this host's processes", () => {
    const { p, asked } = probe({ alive: false });
    expect(isLockHeld({ ...python, host: "elsewhere" }, HOST, p)).toBe(true);
    expect(asked).toEqual([]);
  });

  it("a dead PID never holds it; ours is judged by its recorded start time only", () => {
    expect(isLockHeld(python, HOST, probe({ alive: false }).p)).toBe(false);
    const ours: LockInfo = { pid: 42, host: HOST, started_at: "2026-03-01T10:00:00Z", pid_start: "900" };
    expect(isLockHeld(ours, HOST, probe({ ticks: "900", argv: ["sleep"] }).p)).toBe(true);
    expect(isLockHeld(ours, HOST, probe({ ticks: "901", argv: RUNNER }).p)).toBe(false);
    const { p, asked } = probe({ ticks: "900" });
    isLockHeld(ours, HOST, p);
    expect(asked).toEqual(["alive", "ticks"]);
  });

  it("the original's JSON lock: stale when its PID started after started_at (beyond the clock slack)", () => {
    expect(isLockHeld(python, HOST, probe({ startedAt: T + 60_000, argv: RUNNER }).p)).toBe(false);
    expect(isLockHeld(python, HOST, probe({ startedAt: T + 1_500, argv: RUNNER }).p)).toBe(true);
    expect(isLockHeld(python, HOST, probe({ startedAt: T - 3_600_000, argv: RUNNER }).p)).toBe(true);
  });

  it("the original's JSON lock: stale when its PID is not a runner, held when it is (or cannot be told)", () => {
    expect(isLockHeld(python, HOST, probe({ startedAt: T - 1000, argv: ["sleep", "600"] }).p)).toBe(false);
    expect(isLockHeld(python, HOST, probe({ startedAt: T - 1000, argv: RUNNER }).p)).toBe(true);
    expect(isLockHeld(python, HOST, probe({}).p), "no /proc: nothing says it is stale").toBe(true);
  });

  it("a started_at without a zone allows for it having been local time", () => {
    const unzoned = { ...python, started_at: "2026-03-01T10:00:00.123456" };
    expect(isLockHeld(unzoned, HOST, probe({ startedAt: T + 5 * 3_600_000, argv: RUNNER }).p)).toBe(true);
    expect(isLockHeld(unzoned, HOST, probe({ startedAt: T + 15 * 3_600_000, argv: RUNNER }).p)).toBe(false);
  });

  it("a bare PID (no time at all) naming a live process holds it, whatever the process is", () => {
    const bare: LockInfo = { pid: 42, host: "", started_at: null, pid_start: null };
    const { p, asked } = probe({ startedAt: T, argv: ["sleep"] });
    expect(isLockHeld(bare, HOST, p)).toBe(true);
    expect(asked).toEqual(["alive"]);
  });
});

describe("lockTimeMs", () => {
  it("reads ISO times with and without a zone, and refuses anything else", () => {
    expect(lockTimeMs("2026-03-01T10:00:00Z")).toEqual({ ms: T, zoned: true });
    expect(lockTimeMs("2026-03-01T11:00:00+01:00")).toEqual({ ms: T, zoned: true });
    expect(lockTimeMs("2026-03-01 10:00:00.5")).toEqual({ ms: T + 500, zoned: false });
    expect(lockTimeMs("yesterday")).toBeNull();
    expect(lockTimeMs("2026-13-45T99:00:00Z")).toBeNull();
  });
});

describe("looksLikeRunner", () => {
  it.each([
    [["python3", "/usr/local/bin/codex-autorunner", "run"], true],
    [["/venv/bin/python", "-m", "codex_autorunner", "run"], true],
    [["python3", "-m", "codex_autorunner.cli"], true],
    [["python3", "/srv/lib/python3.11/site-packages/codex_autorunner/__main__.py"], true],
    [["car", "run"], true],
    [["node", "/usr/lib/node_modules/@codex-autorunner/cli/dist/bin.js", "run"], true],
    [["node", "/x/dist/node/runner-main.js", "--repo", "/r"], true],
    [["sleep", "600"], false],
    [["vim", "codex-autorunner.md"], false],
    [["bash", "-c", "echo", "codex_autorunner"], false],
  ])("%j → %s", (argv, expected) => {
    expect(looksLikeRunner(argv)).toBe(expected);
  });
});
