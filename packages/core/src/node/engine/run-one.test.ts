import { promises as fsp } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseLogLine } from "../../log/format.js";
import type { EngineEvent, LogStream } from "../../types.js";
import type { AgentBackend } from "../agent/backend.js";
import { codexJsonBackend } from "../agent/codex-json.js";
import { LogReader } from "../log/reader.js";
import { carPaths } from "../paths.js";
import { readRunRecord } from "../runs-store.js";
import { runLoop } from "./loop.js";
import { agentEnv, makeTestRepo, type TestRepo } from "./test-fixtures.js";

let repo: TestRepo | null = null;
afterEach(async () => {
  await repo?.cleanup();
  repo = null;
});

/** Ticks the only TODO item, then floods stdout (one big write) and writes awkward lines to both streams. */
const FLOOD_AGENT = `import { readFileSync, writeFileSync } from "node:fs";
for await (const _ of process.stdin);
const todo = ".codex-autorunner/TODO.md";
writeFileSync(todo, readFileSync(todo, "utf8").replace("- [ ]", "- [x]"));
let s = "";
for (let i = 0; i < 30000; i++) s += "out " + i + "\\n";
process.stdout.write(s);
process.stderr.write("err a\\r\\nerr\\u0000b\\n");
process.stdout.write("5%\\r100%\\r\\n" + "w".repeat(70000) + "\\nlast without newline");
`;

async function setup(): Promise<{ repo: TestRepo; paths: ReturnType<typeof carPaths> }> {
  repo = await makeTestRepo({ todo: "# TODO\n\n- [ ] the only item\n" });
  await fsp.writeFile(repo.agent, FLOOD_AGENT);
  return { repo, paths: carPaths(repo.root) };
}

/** The run's body lines from the log, as [stream, text], checking each is a well-formed line of run 1. */
async function loggedLines(path: string): Promise<Array<[LogStream, string]>> {
  const text = await fsp.readFile(path, "utf8");
  const raw = text.split("\n");
  expect(raw.at(-1)).toBe("");
  const entries = raw.slice(0, -1).map((l) => parseLogLine(l, 0));
  expect(entries[0]).toMatchObject({ kind: "start", runId: 1 });
  expect(entries.at(-1)).toMatchObject({ kind: "end", runId: 1, code: 0 });
  const body = entries.slice(1, -1);
  for (const e of body) expect(e).toMatchObject({ kind: "line", runId: 1 });
  return body.map((e) => (e.kind === "line" ? [e.stream, e.line] : ["stdout", "?"]));
}

const EXPECTED_STDOUT = [
  ...Array.from({ length: 30000 }, (_, i) => `out ${i}`),
  "100%",
  "w".repeat(65_536),
  "w".repeat(70_000 - 65_536),
  "last without newline",
];
const EXPECTED_STDERR = ["err a", "err\u2400b"];

describe("runOne output handling", () => {
  it("logs and emits every line of a flood in order, sanitised once, with exact index offsets", async () => {
    const { repo, paths } = await setup();
    const events: EngineEvent[] = [];
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ reason: "todo_done", runs: 1, lastExitCode: 0 });

    const logged = await loggedLines(paths.log);
    const of = (s: LogStream, pairs: Array<[LogStream, string]>) =>
      pairs.filter(([t]) => t === s).map(([, l]) => l);
    expect(of("stdout", logged)).toEqual(EXPECTED_STDOUT);
    expect(of("stderr", logged)).toEqual(EXPECTED_STDERR);

    // The public `log` event still comes once per line, in the same order as the log.
    const logEvents = events.filter((e): e is Extract<EngineEvent, { type: "log" }> => e.type === "log");
    expect(logEvents.every((e) => e.runId === 1 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(e.ts))).toBe(
      true,
    );
    expect(logEvents.map((e): [LogStream, string] => [e.stream, e.line])).toEqual(logged);

    // The index points at the block exactly: the reader returns the same lines through it.
    const block = await new LogReader(paths.log, paths.logIndex).readRun(1);
    expect(block).toBe(await fsp.readFile(paths.log, "utf8"));
  }, 120_000);

  it("keeps raw events verbatim and sanitises what a structured parser makes readable", async () => {
    const { repo, paths } = await setup();
    await fsp.writeFile(
      repo.agent,
      `for await (const _ of process.stdin);
const todo = ".codex-autorunner/TODO.md";
const fs = await import("node:fs");
fs.writeFileSync(todo, fs.readFileSync(todo, "utf8").replace("- [ ]", "- [x]"));
for (let i = 0; i < 3000; i++) console.log(JSON.stringify({ n: i, text: "two\\nlines" + (i === 7 ? "\\u0000" : "") }));
`,
    );
    // A parser that turns each event into text with a newline (and once a NUL): run-one must split it.
    const backend: AgentBackend = {
      name: "codex-json",
      keepsRawEvents: true,
      createParser: () => ({
        push: (_s, raw) => [(JSON.parse(raw) as { text: string }).text],
        finish: () => ({
          failure: null,
          thread_id: null,
          final_message: null,
          usage: null,
          commands: [],
          files_changed: [],
        }),
      }),
    };
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), backend });
    expect(result).toMatchObject({ reason: "todo_done", runs: 1 });
    const logged = (await loggedLines(paths.log)).map(([, l]) => l);
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) expected.push("two", i === 7 ? "lines\u2400" : "lines");
    expect(logged).toEqual(expected);
    const raw = (await fsp.readFile(`${paths.runsDir}/1.jsonl`, "utf8")).trimEnd().split("\n");
    expect(raw).toHaveLength(3000);
    expect(JSON.parse(raw[7] as string)).toEqual({ n: 7, text: "two\nlines\u0000" });
  }, 120_000);

  it("codex --json: a message of many lines is logged whole, the record keeps its end, runs/<id>.jsonl the bytes", async () => {
    const { repo, paths } = await setup();
    // One item.completed event whose message has 20,000 lines (a mark at the end of the last), written
    // in small pieces so the event arrives in many chunks; the stream ends without a newline.
    await fsp.writeFile(
      repo.agent,
      `import { readFileSync, writeFileSync } from "node:fs";
for await (const _ of process.stdin);
const todo = ".codex-autorunner/TODO.md";
writeFileSync(todo, readFileSync(todo, "utf8").replace("- [ ]", "- [x]"));
const text = Array.from({ length: 20000 }, (_, i) => "line " + i).join("\\\\n") + " END";
const out = '{"type":"thread.started","thread_id":"t-1"}\\n' +
  '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"' + text + '"}}\\n' +
  '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":2}}';
for (let i = 0; i < out.length; i += 5000) process.stdout.write(out.slice(i, i + 5000));
`,
    );
    const result = await runLoop({ root: repo.root, env: agentEnv(repo), backend: codexJsonBackend });
    expect(result).toMatchObject({ reason: "todo_done", runs: 1 });

    const logged = (await loggedLines(paths.log)).map(([, l]) => l);
    const message = Array.from({ length: 20000 }, (_, i) => `agent: line ${i}`);
    message[19999] += " END";
    expect(logged).toEqual(["thread: t-1", ...message, expect.stringMatching(/^tokens: /)]);

    const record = await readRunRecord(paths, 1);
    const full = Array.from({ length: 20000 }, (_, i) => `line ${i}`).join("\n") + " END";
    expect(record?.final_message).toBe(full.slice(-6000)); // prompt.prev_run_max_chars
    const raw = await fsp.readFile(`${paths.runsDir}/1.jsonl`, "utf8");
    expect(raw.endsWith('"output_tokens":2}}\n')).toBe(true);
    expect(raw.split("\n").map((l) => l && JSON.parse(l).type)).toEqual([
      "thread.started",
      "item.completed",
      "turn.completed",
      "",
    ]);
  }, 120_000);
});
