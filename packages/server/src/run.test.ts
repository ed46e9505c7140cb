import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./start.js";
import { connectSse, killRunners, makeRepo, standInAgent, type TestRepo, waitFor } from "./test-support.js";

/**
 * Run control against real detached runners (core's car-runner, built) driving a stand-in agent.
 * Needs `pnpm --filter @codex-autorunner/core build` first.
 */

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let repo: TestRepo;
let server: RunningServer;
const started = new Set<number>();

async function api(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: {
      "Content-Type": "application/json",
      Connection: "close",
      ...(init.headers as Record<string, string>),
    },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const state = async () =>
  (await api("/api/state")).body as Record<string, unknown> & { lock: { info: { pid: number } | null } };

beforeAll(async () => {
  repo = makeRepo(
    { runner: { kill_grace_seconds: 1, sleep_seconds: 0 } },
    "# TODO\n\n- [ ] one\n- [ ] two\n- [ ] three\n",
  );
  // A run that prints a few lines then stays busy, so the test controls when it ends.
  const agent = standInAgent(repo.dir, { lines: 5, intervalMs: 50, holdMs: 120_000 });
  const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
  writeFileSync(
    join(repo.dir, "config.yml"),
    JSON.stringify({ ...config, codex: { binary: process.execPath, args: [agent] } }),
  );
  server = await startServer({
    root: repo.root,
    host: "127.0.0.1",
    port: 0,
    token: null,
    webRoot: null,
    sseHeartbeatMs: 1000,
  });
});

afterAll(async () => {
  await server?.close();
  killRunners(started);
  repo?.cleanup();
});

describe("run control with a real runner", () => {
  let runnerPid = 0;
  let agentPid = 0;
  let runId = 0;

  it("start → 202, the runner is alive and holds the lock; lines stream live", async () => {
    const sse = await connectSse(`${server.url}/api/logs/stream`);
    await sse.waitFor("initial state", (ev) => ev.some((e) => e.event === "state"));
    const res = await api("/api/run/start", { method: "POST", body: JSON.stringify({ once: true }) });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ running: true, once: true });
    runnerPid = res.body.pid as number;
    started.add(runnerPid);
    expect(alive(runnerPid)).toBe(true);
    const s = await waitFor("running state with an agent", async () => {
      const st = await state();
      return st.running === true && typeof st.agent_pid === "number" ? st : null;
    });
    expect(s.runner_pid).toBe(runnerPid);
    expect(s.lock.info?.pid).toBe(runnerPid);
    expect(s.status).toBe("running");
    agentPid = s.agent_pid as number;
    started.add(agentPid);
    runId = s.last_run_id as number;
    expect(runId).toBeGreaterThanOrEqual(1);

    await sse.waitFor("agent lines", (ev) =>
      ev
        .filter((e) => e.event === "log")
        .some((e) => (JSON.parse(e.data) as { line: string }).line === "line 5"),
    );
    const lines = sse.events
      .filter((e) => e.event === "log")
      .map((e) => JSON.parse(e.data) as { line: string; run_id: number });
    expect(lines.map((l) => l.line).filter((l) => /^line \d$/.test(l))).toEqual([
      "line 1",
      "line 2",
      "line 3",
      "line 4",
      "line 5",
    ]);
    expect(new Set(lines.map((l) => l.run_id))).toEqual(new Set([runId]));
    const starts = sse.events
      .filter((e) => e.event === "run")
      .map((e) => JSON.parse(e.data) as { phase: string; run_id: number });
    expect(starts).toContainEqual(expect.objectContaining({ phase: "start", run_id: runId }));
    expect(
      sse.events.some((e) => e.event === "state" && (JSON.parse(e.data) as { running: boolean }).running),
    ).toBe(true);
    sse.close();
  });

  it("a second start while it runs → 409 LOCK_HELD with the runner's pid", async () => {
    const res = await api("/api/run/start", { method: "POST", body: "{}" });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "LOCK_HELD", pid: runnerPid });
  });

  it("a restarted server reports the same run, and the run goes on", async () => {
    await server.close();
    expect(alive(runnerPid)).toBe(true);
    server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, token: null, webRoot: null });
    const s = await state();
    expect(s).toMatchObject({
      running: true,
      runner_pid: runnerPid,
      last_run_id: runId,
      agent_pid: agentPid,
      status: "running",
    });
    const log = await api(`/api/logs?run_id=${runId}`);
    expect(log.status).toBe(200);
    expect(log.body.log).toContain("line 5");
  });

  it("kill ends the runner and the agent's whole process group", async () => {
    const res = await api("/api/run/kill", { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ killed: true, pid: runnerPid });
    await waitFor("runner gone", () => !alive(runnerPid));
    await waitFor("agent group gone", () => {
      try {
        process.kill(-agentPid, 0);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "ESRCH";
      }
    });
    const s = await state();
    expect(s.running).toBe(false);
    expect(s.status).toBe("error");
    expect(existsSync(join(repo.dir, "lock"))).toBe(false);
    const log = await api(`/api/logs?run_id=${runId}`);
    expect(log.body.log).toMatch(new RegExp(`=== run ${runId} end \\((code \\d+|interrupted)\\) ===`));
    const again = await api("/api/run/kill", { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("NOT_RUNNING");
  });

  it("resume starts the next run; stop lets it finish and end the loop", async () => {
    // A quick agent now: each run ticks one TODO item.
    const release = join(repo.dir, "release-run");
    const quick = standInAgent(repo.dir, { lines: 2, intervalMs: 10, tick: true, waitFile: release });
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(
      join(repo.dir, "config.yml"),
      JSON.stringify({ ...config, codex: { binary: process.execPath, args: [quick] } }),
    );
    const res = await api("/api/run/resume", { method: "POST", body: "{}" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ running: true, once: false, resumed: true });
    const pid = res.body.pid as number;
    started.add(pid);
    const s = await waitFor("next run", async () => {
      const st = await state();
      return st.running && (st.last_run_id as number) > runId ? st : null;
    });
    const nextRun = s.last_run_id as number;
    const stop = await api("/api/run/stop", { method: "POST" });
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({ stop_requested: true, runner_pid: pid });
    expect((await state()).stop_requested).toBe(true);
    writeFileSync(release, "go");
    await waitFor("runner finished", () => !alive(pid), 30_000);
    const after = await state();
    expect(after.running).toBe(false);
    expect(after.last_run_id).toBe(nextRun); // stopped after the current run, no further run
    expect(after.stop_requested).toBe(false);
    const runs = await api("/api/runs");
    expect((runs.body.runs as Array<{ id: number }>).map((r) => r.id)).toContain(nextRun);
    const one = await api(`/api/runs/${nextRun}`);
    expect(one.status).toBe(200);
    expect(one.body.exit_code).toBe(0);
  });
});

describe("start races", () => {
  it("five concurrent starts → exactly one runner (one 202, the rest 409 LOCK_HELD naming it)", async () => {
    const agent = standInAgent(repo.dir, { lines: 1, holdMs: 120_000 });
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(
      join(repo.dir, "config.yml"),
      JSON.stringify({ ...config, codex: { binary: process.execPath, args: [agent] } }),
    );
    writeFileSync(join(repo.dir, "TODO.md"), "# TODO\n\n- [ ] race\n");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api("/api/run/start", { method: "POST", body: '{"once": true}' })),
    );
    const ok = results.filter((r) => r.status === 202);
    expect(ok).toHaveLength(1);
    const pid = ok[0]!.body.pid as number;
    started.add(pid);
    for (const r of results.filter((x) => x.status !== 202)) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "LOCK_HELD", pid });
    }
    const kill = await api("/api/run/kill", { method: "POST" });
    expect(kill.status).toBe(200);
    await waitFor("runner gone", () => !alive(pid));
  });
});

describe("chat", () => {
  it("runs the chat agent once with the docs and the message, outside the loop's state", async () => {
    const script = join(repo.dir, "chat-agent.mjs");
    const releaseChat = join(repo.dir, "release-chat");
    writeFileSync(
      script,
      `import { existsSync, readFileSync } from "node:fs";
const prompt = readFileSync(0, "utf8");
const msg = prompt.match(/<USER_MESSAGE>\\n([\\s\\S]*?)\\n<\\/USER_MESSAGE>/);
console.log("has todo: " + prompt.includes("<TODO>"));
console.log("message: " + (msg ? msg[1] : "none"));
// Hold until the test releases it, so "other requests go on meanwhile" is checked by order, not time.
while (!existsSync(${JSON.stringify(releaseChat)})) await new Promise((r) => setTimeout(r, 20));
console.log("done");
`,
    );
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(repo.dir, "config.yml"), JSON.stringify({ ...config, chat: { args: [script] } }));
    const stateBefore = readFileSync(join(repo.dir, "state.json"), "utf8");
    const stateMtime = statSync(join(repo.dir, "state.json")).mtimeMs;

    const chat = api("/api/chat", {
      method: "POST",
      body: JSON.stringify({ message: "what is next?", include_todo: true }),
    });
    // Other requests are answered while the chat agent runs.
    let chatDone = false;
    void chat.then(() => {
      chatDone = true;
    });
    const health = await api("/api/state");
    expect(health.status).toBe(200);
    expect(chatDone).toBe(false);
    writeFileSync(releaseChat, "go");
    const res = await chat;
    expect(res.status).toBe(200);
    expect(res.body.chat_id).toMatch(/^chat-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(res.body.response).toBe("has todo: true\nmessage: what is next?\ndone");
    expect(readFileSync(join(repo.dir, "state.json"), "utf8")).toBe(stateBefore);
    expect(statSync(join(repo.dir, "state.json")).mtimeMs).toBe(stateMtime);
    const chatLog = readFileSync(join(repo.dir, "chats", `${res.body.chat_id}.log`), "utf8");
    expect(chatLog).toContain("stdout: message: what is next?");

    const without = await api("/api/chat", {
      method: "POST",
      body: JSON.stringify({ message: "hi", include_todo: false }),
    });
    expect(without.body.response).toBe("has todo: false\nmessage: hi\ndone");
  });

  it("streams with Accept: text/event-stream", async () => {
    const res = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", Connection: "close" },
      body: JSON.stringify({ message: "stream please" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = text.split("\n\n").filter((b) => b.includes("event:"));
    const kinds = events.map((b) => /event: (\w+)/.exec(b)![1]);
    expect(kinds).toEqual(["line", "line", "line", "done"]);
    expect(events[1]).toContain('"line":"message: stream please"');
    expect(events[3]).toContain('"chat_id":"chat-');
  });

  it("a streaming client that disconnects stops the chat agent", async () => {
    const script = join(repo.dir, "chat-forever.mjs");
    writeFileSync(script, `console.log("pid " + process.pid);\nsetInterval(() => {}, 1000);\n`);
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(repo.dir, "config.yml"), JSON.stringify({ ...config, chat: { args: [script] } }));
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ message: "never ends" }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = "";
    while (!/pid \d+/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const pid = Number(/pid (\d+)/.exec(text)![1]);
    started.add(pid);
    expect(alive(pid)).toBe(true);
    abort.abort();
    await waitFor("chat agent stopped", () => !alive(pid));
  });

  it("a failing chat agent → 500 AGENT_FAILED with the log's path", async () => {
    const script = join(repo.dir, "chat-fail.mjs");
    writeFileSync(script, `console.error("boom"); process.exit(3);\n`);
    const config = JSON.parse(readFileSync(join(repo.dir, "config.yml"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(repo.dir, "config.yml"), JSON.stringify({ ...config, chat: { args: [script] } }));
    const res = await api("/api/chat", { method: "POST", body: JSON.stringify({ message: "hi" }) });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe("AGENT_FAILED");
    expect(res.body.detail).toMatch(/chats\/chat-.*\.log/);
  });
});
