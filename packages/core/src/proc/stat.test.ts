import { describe, expect, it } from "vitest";
import { isZombie, type ProcStat, parseProcStat, selectRunProcesses } from "./stat.js";

/** A /proc/<pid>/stat line as Linux writes it (52 fields; start time is field 22). */
function statLine(pid: number, comm: string, state: string, ppid: number, pgid: number, start = 777): string {
  const rest = Array.from({ length: 48 }, (_, i) => (i === 16 ? String(start) : "0"));
  return `${pid} (${comm}) ${state} ${ppid} ${pgid} ${rest.join(" ")}\n`;
}

describe("parseProcStat", () => {
  it("reads state, parent, group and start time after a command name with spaces and parentheses", () => {
    expect(parseProcStat(statLine(42, "my (odd) name", "S", 7, 40, 123456))).toEqual({
      pid: 42,
      state: "S",
      ppid: 7,
      pgid: 40,
      startTime: "123456",
    });
  });

  it("returns null for text that is not a stat line", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 no parens S 1 1")).toBeNull();
    expect(parseProcStat("12 (x) S 1")).toBeNull();
  });

  it("knows a zombie (and a dead task) from a live process", () => {
    expect(isZombie(parseProcStat(statLine(1, "a", "Z", 0, 1)) as ProcStat)).toBe(true);
    expect(isZombie(parseProcStat(statLine(1, "a", "X", 0, 1)) as ProcStat)).toBe(true);
    expect(isZombie(parseProcStat(statLine(1, "a", "D", 0, 1)) as ProcStat)).toBe(false);
  });
});

describe("selectRunProcesses", () => {
  const p = (pid: number, ppid: number, pgid: number, state = "S"): ProcStat => ({
    pid,
    ppid,
    pgid,
    state,
    startTime: "1",
  });
  // 1 init; 10 runner; 20 agent leader (group 20) → 21 shell (group 20) → 22 sleep;
  // 30 tool-call session (group 30, marked) → 31 background job (marked) → 32 env-scrubbed child;
  // 40 unrelated; 50 a zombie of group 20; 60 marked but another run's marker.
  const table = [
    p(1, 0, 1),
    p(10, 1, 10),
    p(20, 10, 20),
    p(21, 20, 20),
    p(22, 21, 20),
    p(30, 1, 30),
    p(31, 30, 30),
    p(32, 31, 30),
    p(40, 1, 40),
    p(50, 20, 20, "Z"),
    p(60, 1, 60),
  ];
  const marked = new Set([20, 21, 22, 30, 31]);

  it("takes the group, the marked processes and their descendants, not zombies or strangers", () => {
    const got = selectRunProcesses(table, (pid) => marked.has(pid), { marker: "m", pgid: 20 });
    expect(got).toEqual([20, 21, 22, 30, 31, 32]);
  });

  it("follows the pids it is given to their descendants, but not through `exclude` or init", () => {
    expect(selectRunProcesses(table, () => false, { pids: [30] })).toEqual([30, 31, 32]);
    expect(selectRunProcesses(table, () => false, { pids: [30] }, [31])).toEqual([30]);
    expect(selectRunProcesses(table, (pid) => pid === 1, { marker: "m" })).toEqual([]);
  });

  it("without a marker, only the group and its descendants count", () => {
    expect(selectRunProcesses(table, () => true, { pgid: 20 })).toEqual([20, 21, 22]);
  });

  it("selects nothing for an empty target", () => {
    expect(selectRunProcesses(table, () => true, {})).toEqual([]);
  });
});
