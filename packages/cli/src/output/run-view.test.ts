import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTerminalSafe } from "@codex-autorunner/core/node/lite";
import { makeTempRepo, runCar, type TempRepo } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { exitCodeForStop } from "../exit-codes.js";
import { LineBatcher, type LineSink } from "./line-batcher.js";
import { createRunView } from "./run-view.js";
import { clockTime } from "./tty.js";

/** A sink that records each write it gets. */
function sink(name: string, all: Array<[string, string]>): LineSink & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    write(text: string) {
      writes.push(text);
      all.push([name, text]);
      return true;
    },
  };
}

const nextTick = () => new Promise((r) => setImmediate(r));

describe("LineBatcher", () => {
  it("joins one tick's lines into one write and writes them by the next tick", async () => {
    const all: Array<[string, string]> = [];
    const out = sink("out", all);
    const b = new LineBatcher();
    for (let i = 0; i < 1000; i++) b.write(out, `line ${i}\n`);
    expect(out.writes).toEqual([]);
    await nextTick();
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toBe(Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(""));
  });

  it("keeps the order across sinks: switching sinks writes the other's lines first", () => {
    const all: Array<[string, string]> = [];
    const out = sink("out", all);
    const err = sink("err", all);
    const b = new LineBatcher();
    b.write(out, "o1\n");
    b.write(out, "o2\n");
    b.write(err, "e1\n");
    b.write(out, "o3\n");
    b.flush();
    expect(all).toEqual([
      ["out", "o1\no2\n"],
      ["err", "e1\n"],
      ["out", "o3\n"],
    ]);
  });

  it("writes as soon as the gathered text reaches its cap", () => {
    const all: Array<[string, string]> = [];
    const out = sink("out", all);
    const b = new LineBatcher(100);
    for (let i = 0; i < 30; i++) b.write(out, "123456789\n");
    // 30 × 10 chars with a cap of 100: three full writes so far, nothing left over.
    expect(out.writes).toEqual([
      "123456789\n".repeat(10),
      "123456789\n".repeat(10),
      "123456789\n".repeat(10),
    ]);
    b.flush();
    expect(out.writes).toHaveLength(3);
  });
});

describe("createRunView: waits (plain lines)", () => {
  afterEach(() => vi.restoreAllMocks());

  /** What the view printed for `events`, per stream. */
  function render(events: Parameters<ReturnType<typeof createRunView>["onEvent"]>[0][]) {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((t) => out.push(String(t)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation((t) => err.push(String(t)) > 0);
    const view = createRunView({ live: false, safe: makeTerminalSafe });
    for (const e of events) view.onEvent(e);
    view.finish();
    vi.restoreAllMocks();
    return { out: out.join(""), err: err.join("") };
  }

  it("a usage-limit wait: its clock time, the time left and the (terminal-safe) message; then resumed", () => {
    const until = new Date(Date.now() + 10 * 60_000 + 30_000).toISOString();
    const { err } = render([
      {
        type: "waiting",
        runId: 2,
        waiting: { reason: "rate_limit", until, since: until, message: "limit\x1b[2J hit" },
      },
      { type: "resumed", runId: 2, reason: "rate_limit" },
    ]);
    expect(err).toMatch(
      new RegExp(
        `^usage limit: waiting until ${clockTime(until)} \\(10m(29|30)s\\): limit\u241b\\[2J hit$`,
        "m",
      ),
    );
    expect(err).not.toContain("\x1b");
    expect(err).toContain("resumed: the usage-limit wait is over\n");
  });

  it("the agent's question says how to answer it", () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    const { out, err } = render([
      {
        type: "waiting",
        runId: 4,
        waiting: { reason: "needs_input", until, since: until, message: "Which DB?" },
      },
      { type: "resumed", runId: 4, reason: "needs_input" },
    ]);
    expect(out).toContain('the agent asks: Which DB? — answer with `car steer "…"`\n');
    expect(err).toContain("resumed: a steering message arrived\n");
  });

  it("both new stop reasons exit 1", () => {
    expect(exitCodeForStop("limit_wait_exhausted")).toBe(1);
    expect(exitCodeForStop("needs_input")).toBe(1);
  });
});

describe("car once --quiet output (built bin)", () => {
  let repo: TempRepo | null = null;
  let side: string | null = null;
  afterEach(() => {
    repo?.cleanup();
    repo = null;
    if (side) rmSync(side, { recursive: true, force: true });
    side = null;
  });

  it("prints every agent line in order, stderr lines on stderr, and the summary last", async () => {
    side = mkdtempSync(join(tmpdir(), "car-runview-"));
    const agent = join(side, "flood.mjs");
    writeFileSync(
      agent,
      `import { readFileSync, writeFileSync } from "node:fs";
for await (const _ of process.stdin);
const todo = ".codex-autorunner/TODO.md";
writeFileSync(todo, readFileSync(todo, "utf8").replace("- [ ]", "- [x]"));
let s = "";
for (let i = 0; i < 50000; i++) s += "agent line " + i + "\\n";
process.stdout.write(s);
process.stderr.write("on stderr 1\\non stderr 2\\n");
`,
    );
    repo = makeTempRepo({
      todo: ["the only task"],
      config: { codex: { binary: process.execPath, args: [agent] } },
    });

    const r = await runCar(["once", "--quiet"], { cwd: repo.root, timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("=== run 1 start ===");
    expect(lines.slice(1, 50001)).toEqual(Array.from({ length: 50000 }, (_, i) => `agent line ${i}`));
    expect(lines[50001]).toMatch(/^=== run 1 end \(code 0\) ===/);
    expect(lines.at(-1)).toMatch(/^car: /);
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stderr).toContain("on stderr 1\non stderr 2\n");
  }, 120_000);
});
