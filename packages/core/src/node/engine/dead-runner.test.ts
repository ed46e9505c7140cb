import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newRunRecord } from "../../runs/record.js";
import type { RunnerState } from "../../types.js";
import { LogReader } from "../log/reader.js";
import { type CarPaths, carPaths } from "../paths.js";
import { readRunRecord, writeRunRecord } from "../runs-store.js";
import { closeDeadRun, openRunInLog } from "./dead-runner.js";

let root: string;
let paths: CarPaths;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-dead-"));
  paths = carPaths(root);
  await fsp.mkdir(paths.dir, { recursive: true });
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const RUNNING: RunnerState = {
  last_run_id: 4,
  status: "running",
  last_exit_code: null,
  last_run_started_at: "2026-01-01T00:00:00Z",
  last_run_finished_at: null,
  runner_pid: 999_999,
  agent_pid: 999_998,
  agent_marker: "car-x",
};

/** What a runner that died in run 4 leaves: an open block, an unfinished record, state "running". */
async function leftByDeadRunner(): Promise<void> {
  await fsp.writeFile(
    paths.log,
    "=== run 3 start ===\n=== run 3 end (code 0) ===\n=== run 4 start ===\n[2026-01-01T00:00:01Z] run=4 stdout: half\n",
  );
  await writeRunRecord(
    paths,
    newRunRecord({ id: 4, todoBefore: { outstanding: 2, done: 1 }, backend: "plain" }),
  );
}

const reader = () => new LogReader(paths.log, paths.logIndex);
const tail = async () => (await fsp.readFile(paths.log, "utf8")).trimEnd().split("\n").at(-1);

describe("closeDeadRun", () => {
  it("finds the open block only while the log's last run has no end marker", async () => {
    await leftByDeadRunner();
    expect(await openRunInLog(reader())).toBe(4);
    await fsp.appendFile(paths.log, "=== run 4 end (code 1) ===\n");
    expect(await openRunInLog(reader())).toBeNull();
  });

  it("car kill: the run ends killed by the signal (end code 128 + signo), state error naming it", async () => {
    await leftByDeadRunner();
    const r = await closeDeadRun({ paths, state: RUNNING, openRun: 4, signal: "SIGTERM" });
    expect(r.closedRun).toBe(4);
    expect(await tail()).toBe("=== run 4 end (code 143) ===");
    expect(await readRunRecord(paths, 4)).toMatchObject({
      outcome: "killed",
      exit_code: 143,
      signal: "SIGTERM",
      error: "killed by SIGTERM",
    });
    expect(r.state).toMatchObject({
      status: "error",
      last_exit_code: 143,
      runner_pid: null,
      agent_pid: null,
      agent_marker: null,
      reason: "killed by SIGTERM",
    });
  });

  it("recovery: the same leftovers close as interrupted", async () => {
    await leftByDeadRunner();
    const r = await closeDeadRun({ paths, state: RUNNING, openRun: 4, signal: null });
    expect(await tail()).toBe("=== run 4 end (interrupted) ===");
    expect(await readRunRecord(paths, 4)).toMatchObject({
      outcome: "interrupted",
      exit_code: null,
      error: "runner stopped before the run finished",
    });
    expect(r.state).toMatchObject({
      status: "error",
      last_exit_code: null,
      runner_pid: null,
      reason: "interrupted",
    });
  });

  it("an open block the state does not name is interrupted even under a kill; a runner dead between runs only loses its PID", async () => {
    await leftByDeadRunner();
    const idle: RunnerState = { ...RUNNING, status: "idle", last_run_id: 3, last_exit_code: 0 };
    const killed = await closeDeadRun({ paths, state: idle, openRun: 4, signal: "SIGKILL" });
    expect(await tail()).toBe("=== run 4 end (interrupted) ===");
    expect(await readRunRecord(paths, 4)).toMatchObject({ outcome: "interrupted" });
    expect(killed.state).toMatchObject({ status: "error", last_exit_code: 0, reason: "killed by SIGKILL" });

    const found = await closeDeadRun({ paths, state: idle, openRun: null, signal: null });
    expect(found).toEqual({
      state: { ...idle, runner_pid: null, agent_pid: null, agent_marker: null, waiting: null, quiet: null },
      closedRun: null,
    });
  });
});
