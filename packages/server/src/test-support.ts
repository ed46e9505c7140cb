// Helpers for this package's tests (not exported from index.ts).
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRepo {
  root: string;
  dir: string;
  log: string;
  appendLog(text: string): void;
  cleanup(): void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(out[k]) && isObject(v) ? merge(out[k], v) : v;
  return out;
}

/**
 * A stand-in agent: prints `lines` lines (every `intervalMs`), optionally ticks the first TODO item,
 * then waits `holdMs` or until `waitFile` exists, and exits `code`.
 */
export function standInAgent(
  dir: string,
  opts: {
    lines?: number;
    intervalMs?: number;
    holdMs?: number;
    code?: number;
    tick?: boolean;
    waitFile?: string;
  } = {},
): string {
  const path = join(dir, `agent-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    path,
    `import { existsSync, readFileSync, writeFileSync } from "node:fs";
const stdin = readFileSync(0, "utf8");
const lines = ${opts.lines ?? 3}, interval = ${opts.intervalMs ?? 20}, hold = ${opts.holdMs ?? 0};
console.log("agent pid " + process.pid + " prompt " + stdin.length + " chars");
for (let i = 1; i <= lines; i++) {
  console.log("line " + i);
  await new Promise((r) => setTimeout(r, interval));
}
${
  opts.tick
    ? `const todo = ".codex-autorunner/TODO.md";
writeFileSync(todo, readFileSync(todo, "utf8").replace("- [ ]", "- [x]"));`
    : ""
}
if (hold > 0) await new Promise((r) => setTimeout(r, hold));
${opts.waitFile ? `while (!existsSync(${JSON.stringify(opts.waitFile)})) await new Promise((r) => setTimeout(r, 20));` : ""}
process.exit(${opts.code ?? 0});
`,
  );
  return path;
}

/**
 * A temp git repo with `.codex-autorunner/` written by hand (config as JSON, which is YAML); at `at`
 * (created) instead of a new temp folder when given (a hub's repos under one root).
 */
export function makeRepo(
  config: Record<string, unknown> = {},
  todo = "# TODO\n\n- [ ] first\n- [x] second\n- [ ] third\n",
  at?: string,
): TestRepo {
  const root = at ?? mkdtempSync(join(tmpdir(), "car-server-"));
  if (at) mkdirSync(at, { recursive: true });
  const dir = join(root, ".codex-autorunner");
  execFileSync("git", ["init", "-q"], { cwd: root, stdio: "pipe" });
  mkdirSync(dir, { recursive: true });
  const full = merge(
    {
      version: 1,
      codex: { binary: process.execPath, args: [standInAgent(dir)] },
      runner: { sleep_seconds: 0 },
    },
    config,
  );
  writeFileSync(join(dir, "config.yml"), `${JSON.stringify(full, null, 2)}\n`);
  writeFileSync(join(dir, "TODO.md"), todo);
  writeFileSync(join(dir, "PROGRESS.md"), "# Progress\n");
  writeFileSync(join(dir, "OPINIONS.md"), "# Opinions\n");
  writeFileSync(join(dir, ".gitignore"), "state.json\n*.log\n*.idx\nlock\nstop\nruns/\n*.mjs\n");
  writeFileSync(
    join(dir, "state.json"),
    `${JSON.stringify({ last_run_id: null, status: "idle", last_exit_code: null, last_run_started_at: null, last_run_finished_at: null, runner_pid: null }, null, 2)}\n`,
  );
  const log = join(dir, "codex-autorunner.log");
  writeFileSync(log, "");
  return {
    root,
    dir,
    log,
    appendLog: (text) => appendFileSync(log, text),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** SIGKILL each detached runner a test started: its process group (agent included), then itself. */
export function killRunners(pids: Iterable<number>): void {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

export function logBlock(runId: number, lines: string[], code: number | null = 0): string {
  const ts = "2026-01-01T12:00:00Z";
  return (
    `=== run ${runId} start ===\n` +
    lines.map((l) => `[${ts}] run=${runId} stdout: ${l}\n`).join("") +
    (code === null ? "" : `=== run ${runId} end (code ${code}) ===\n`)
  );
}

export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 20_000,
  stepMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  comment?: string;
}

/** Minimal SSE parser (the spec's field rules; comments kept for inspection). */
export class SseParser {
  private buf = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined;
  private comment: string | undefined;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl = this.buf.search(/\r\n|\r|\n/);
    while (nl !== -1) {
      const line = this.buf.slice(0, nl);
      const sepLen = this.buf.startsWith("\r\n", nl) ? 2 : 1;
      this.buf = this.buf.slice(nl + sepLen);
      this.line(line);
      nl = this.buf.search(/\r\n|\r|\n/);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0 || this.event || this.id !== undefined) {
        this.onEvent({ event: this.event || "message", id: this.id, data: this.data.join("\n") });
      } else if (this.comment !== undefined) {
        this.onEvent({ event: "", id: undefined, data: "", comment: this.comment });
      }
      this.event = "";
      this.data = [];
      this.id = undefined;
      this.comment = undefined;
      return;
    }
    if (line.startsWith(":")) {
      this.comment = line.slice(1).trim();
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
  }
}

export interface SseClient {
  status: number;
  headers: IncomingMessage["headers"];
  events: SseEvent[];
  /** Events of the given type. */
  of(type: string): SseEvent[];
  waitFor(what: string, pred: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
  closed: Promise<void>;
}

/** A real SSE client over node:http (no keep-alive agent, so a closed client leaves no socket). */
export function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { Accept: "text/event-stream", ...headers }, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      const events: SseEvent[] = [];
      const parser = new SseParser((e) => events.push(e));
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => parser.push(chunk));
      const closed = new Promise<void>((r) => {
        res.on("close", () => r());
        res.on("error", () => r());
      });
      res.on("error", () => {});
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        of: (type) => events.filter((e) => e.event === type),
        waitFor: (what, pred, timeoutMs = 20_000) =>
          waitFor(what, () => pred(events), timeoutMs).then(() => undefined),
        close: () => {
          req.destroy();
          res.destroy();
        },
        closed,
      });
    });
    req.end();
  });
}

/** Counts of active handles by type, minus the ones vitest itself holds. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}
