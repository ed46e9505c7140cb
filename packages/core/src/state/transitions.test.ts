import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import {
  deriveStatus,
  initialState,
  markFinished,
  markInterrupted,
  markKilled,
  markRunnerExited,
  markRunning,
  markWaiting,
  parseState,
  serializeState,
  signalExitCode,
} from "./transitions.js";

const FILE = ".codex-autorunner/state.json";

describe("parseState", () => {
  it("reads the original's state.json and keeps unknown fields", () => {
    const text = JSON.stringify({
      last_run_id: 7,
      status: "error",
      last_exit_code: 3,
      last_run_started_at: "2025-06-01T10:00:00Z",
      last_run_finished_at: "2025-06-01T10:05:00Z",
      runner_pid: null,
      their_field: { x: 1 },
    });
    const state = parseState(text, FILE);
    expect(state).toMatchObject({ last_run_id: 7, status: "error", last_exit_code: 3 });
    expect((state as unknown as Record<string, unknown>).their_field).toEqual({ x: 1 });
    expect(parseState(serializeState(state), FILE)).toEqual(state);
  });

  it("fills missing fields with null / idle", () => {
    expect(parseState("{}", FILE)).toEqual(initialState());
  });

  it("throws STATE_CORRUPT naming the file and what is wrong", () => {
    const empty = carError(() => parseState("", FILE));
    expect(empty.code).toBe("STATE_CORRUPT");
    expect(empty.message).toContain(FILE);
    expect(empty.message).toContain("empty");
    expect(carError(() => parseState("{not json", FILE)).message).toContain("not valid JSON");
    expect(carError(() => parseState("[1]", FILE)).message).toContain("expected a JSON object");
    expect(carError(() => parseState("\u0000\u0001binary", FILE)).code).toBe("STATE_CORRUPT");
    const bad = carError(() => parseState('{"status":"flying"}', FILE));
    expect(bad.details).toMatchObject({ file: FILE, key: "status", found: '"flying"' });
    expect(carError(() => parseState('{"last_run_id":"7"}', FILE)).details.key).toBe("last_run_id");
    expect(carError(() => parseState('{"runner_pid":-1}', FILE)).details.key).toBe("runner_pid");
  });

  it("reads last_verify back whole and rejects one missing a field", () => {
    const verdict = {
      run_id: 3,
      passed: false,
      failed_command: "test",
      consecutive_failures: 1,
      at: "2026-01-01T00:00:00Z",
    };
    expect(parseState(JSON.stringify({ last_verify: verdict }), FILE).last_verify).toEqual(verdict);
    for (const bad of [
      { ...verdict, at: undefined },
      { ...verdict, failed_command: 1 },
      { ...verdict, run_id: 0 },
    ]) {
      expect(carError(() => parseState(JSON.stringify({ last_verify: bad }), FILE)).details.key).toBe(
        "last_verify",
      );
    }
  });

  it("reads agent_limits and cost_total_usd back and rejects bad ones as STATE_CORRUPT", () => {
    const good = {
      agent_limits: { codex: { until: "2026-12-05T09:00:00Z", message: "usage limit" } },
      cost_total_usd: 0.42,
    };
    expect(parseState(JSON.stringify(good), FILE)).toMatchObject(good);
    // A newer version's agent is no reason to refuse the file (a downgrade must keep working).
    const newer = { agent_limits: { gemini: 1, codex: good.agent_limits.codex } };
    expect(parseState(JSON.stringify(newer), FILE).agent_limits).toEqual(newer.agent_limits);
    for (const [key, value] of [
      ["agent_limits", { codex: null }],
      ["agent_limits", { claude: { until: 1, message: "y" } }],
      ["cost_total_usd", -1],
    ] as const) {
      const err = carError(() => parseState(JSON.stringify({ [key]: value }), FILE));
      expect(err.code).toBe("STATE_CORRUPT");
      expect(err.details.key).toBe(key);
    }
  });
});

describe("transitions", () => {
  const at = "2026-01-01T00:00:00Z";

  it("running → finished ok → idle; runner exit clears the pid", () => {
    const running = markRunning(initialState(), { runId: 1, runnerPid: 42, at });
    expect(running).toMatchObject({
      status: "running",
      last_run_id: 1,
      last_run_started_at: at,
      runner_pid: 42,
    });
    const done = markFinished(running, { exitCode: 0, at: new Date(Date.UTC(2026, 0, 1, 0, 1)) });
    expect(done).toMatchObject({
      status: "idle",
      last_exit_code: 0,
      last_run_finished_at: "2026-01-01T00:01:00Z",
      runner_pid: 42,
    });
    expect(markRunnerExited(done)).toMatchObject({ status: "idle", runner_pid: null });
    expect(running.status).toBe("running"); // inputs are not mutated
  });

  it("a failed run is an error with a reason", () => {
    const failed = markFinished(markRunning(initialState(), { runId: 2, runnerPid: 1, at }), {
      exitCode: 3,
      at,
    });
    expect(failed).toMatchObject({ status: "error", last_exit_code: 3, reason: "agent exited with code 3" });
  });

  it("killed records 128+signo and the signal", () => {
    const killed = markKilled(markRunning(initialState(), { runId: 3, runnerPid: 1, at }), {
      signal: "SIGTERM",
      at,
    });
    expect(killed).toMatchObject({
      status: "error",
      last_exit_code: 143,
      runner_pid: null,
      reason: "killed by SIGTERM",
    });
    expect(signalExitCode("SIGKILL")).toBe(137);
    expect(signalExitCode("SIGWHAT")).toBeNull();
  });

  it("interrupted closes a dangling run as an error", () => {
    const s = markInterrupted(markRunning(initialState(), { runId: 4, runnerPid: 9, at }), { at });
    expect(s).toMatchObject({
      status: "error",
      runner_pid: null,
      last_exit_code: null,
      reason: "runner stopped unexpectedly (run 4)",
    });
  });

  it("markRunnerExited never leaves running behind", () => {
    const running = markRunning(initialState(), { runId: 1, runnerPid: 42, at });
    expect(markRunnerExited(running).status).toBe("error");
  });
});

describe("deriveStatus", () => {
  const running = markRunning(initialState(), { runId: 5, runnerPid: 42, at: "2026-01-01T00:00:00Z" });

  it("a dead runner never shows running", () => {
    expect(deriveStatus(running, false)).toMatchObject({ status: "error", running: false, stale: true });
    expect(deriveStatus(running, true)).toMatchObject({ status: "running", running: true, stale: false });
  });

  it("an alive runner between runs is running; a dead idle one is idle", () => {
    const idle = markFinished(running, { exitCode: 0 });
    expect(deriveStatus(idle, true)).toMatchObject({ status: "running", running: true });
    expect(deriveStatus(idle, false)).toEqual({ status: "idle", running: false, stale: false, reason: null });
  });
});

describe("waits", () => {
  const limit = {
    reason: "rate_limit" as const,
    until: "2026-12-04T11:00:00Z",
    since: "2026-12-04T10:00:00Z",
  };
  const question = { ...limit, reason: "needs_input" as const, message: "Which DB?" };

  it("markWaiting sets the status the wait stands for, and back", () => {
    const s = { ...initialState(), status: "running" as const, runner_pid: 42 };
    expect(markWaiting(s, limit, true)).toMatchObject({ status: "waiting", waiting: limit });
    expect(markWaiting(s, question, false)).toMatchObject({ status: "waiting_input", waiting: question });
    expect(markWaiting(markWaiting(s, limit, true), null, true)).toMatchObject({
      status: "running",
      waiting: null,
    });
    expect(markWaiting(markWaiting(s, question, false), null, false)).toMatchObject({ status: "idle" });
  });

  it("a live runner shows its wait; a dead one that was waiting is stale", () => {
    const waiting = { ...initialState(), status: "waiting_input" as const, waiting: question };
    expect(deriveStatus(waiting, true)).toMatchObject({ status: "waiting_input", running: true });
    expect(deriveStatus(waiting, false)).toMatchObject({ status: "error", stale: true });
  });

  it("a limit wait survives a kill, a crash and the loop's end; a question does not", () => {
    const s = { ...initialState(), status: "waiting" as const, runner_pid: 42, waiting: limit };
    expect(markKilled(s, { signal: "SIGKILL" }).waiting).toEqual(limit);
    expect(markInterrupted(s).waiting).toEqual(limit);
    expect(markRunnerExited(s)).toMatchObject({ status: "error", waiting: limit });
    expect(markRunnerExited({ ...s, status: "waiting_input", waiting: question }).waiting).toBeNull();
    expect(markRunning(s, { runId: 2, runnerPid: 42 }).waiting).toBeNull();
  });

  it("reads state.json's wait in both shapes and refuses a broken one by name", () => {
    const text = (w: unknown) => JSON.stringify({ ...initialState(), waiting: w });
    expect(parseState(text(question), "state.json").waiting).toEqual(question);
    expect(parseState(text({ until: limit.until, message: "old" }), "state.json").waiting).toMatchObject({
      reason: "rate_limit",
      until: limit.until,
    });
    expect(() => parseState(text({ until: 5 }), "state.json")).toThrow(/waiting: expected/);
    const bad = (patch: object) => JSON.stringify({ ...initialState(), ...patch });
    expect(() => parseState(bad({ quiet: { run_id: 1, since: "x" } }), "state.json")).toThrow(
      /quiet: expected/,
    );
    expect(() => parseState(bad({ notify_error: { target: "t" } }), "state.json")).toThrow(
      /notify_error: expected/,
    );
  });
});
