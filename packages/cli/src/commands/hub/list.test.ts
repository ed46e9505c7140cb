import { emptyHubRepo, type HubRepo } from "@codex-autorunner/core";
import { makeTerminalSafe } from "@codex-autorunner/core/node/lite";
import { describe, expect, it } from "vitest";
import { formatHubList } from "./list.js";

const repo = (patch: Partial<HubRepo>): HubRepo => ({
  ...emptyHubRepo({ id: "a", name: "a", path: "/root/a", source: "discovered" }),
  outstanding_count: 1,
  done_count: 2,
  ...patch,
});

describe("car hub list's lines", () => {
  it("a folder name or error with newlines and escapes cannot forge a line of the list", () => {
    const evil = "/root/evil\nfake  idle  3/3 done  /root/x\x1b[2J";
    const lines = formatHubList(
      {
        root: "/root",
        max_concurrent_runs: 1,
        active_runs: 0,
        repos: [repo({ path: evil, error: "line one\nline two" })],
      },
      makeTerminalSafe,
    );
    expect(lines).toEqual([
      "hub /root: 1 repo, 0 running (cap 1)",
      "a  idle  2/3 done  /root/evil\\nfake  idle  3/3 done  /root/x␛[2J",
      "    line one",
      "    line two",
    ]);
  });

  it("a queued repo shows its place; a running one its PID and last run", () => {
    const lines = formatHubList(
      {
        root: "/r",
        max_concurrent_runs: null,
        active_runs: 1,
        repos: [
          repo({
            id: "q",
            status: "queued",
            queued: { since: "2026-01-01T00:00:00Z", once: true, position: 2 },
          }),
          repo({
            id: "r",
            status: "running",
            running: true,
            runner_pid: 42,
            last_run: { id: 3, exit_code: 0, finished_at: null },
          }),
        ],
      },
      makeTerminalSafe,
    );
    expect(lines[0]).toBe("hub /r: 2 repos, 1 running (no cap)");
    expect(lines[1]).toBe("q  queued  (queue #2, once)  2/3 done  /root/a");
    expect(lines[2]).toBe("r  running  2/3 done  pid 42  last run #3 exit 0  /root/a");
  });
});
