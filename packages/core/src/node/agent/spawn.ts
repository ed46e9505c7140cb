import { type ChildProcess, spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable } from "node:stream";
import { CarError } from "../../errors.js";
import { chainMarker, RUN_MARKER_ENV } from "../../proc/marker.js";
import type { RunTarget } from "../../proc/stat.js";
import type { LogStream } from "../../types.js";
import { endRunProcesses } from "../proc/end.js";
import { type Lifeline, startLifeline } from "../proc/lifeline.js";
import { newRunMarker } from "../proc/marker.js";
import { LineSplitter, sanitizeLines, sanitizeText, splitRaw } from "./line-splitter.js";

/**
 * Runs the agent as the leader of its own process group, with a run marker in its environment, so
 * everything it started is found and ended with it: its group, its descendants, and every process
 * carrying the marker even in another session (Codex runs each tool call in its own; a background
 * `(sleep 333) &` there escapes the group). The prompt goes on stdin, which is then closed: Linux
 * caps a single argv string at 128 KiB and prompts can be larger.
 *
 * Output is split into lines per chunk read from the pipe (line-splitter.ts: one decode, one
 * sanitising check, one callback for all of a chunk's lines). `onText` takes a chunk's lines as one
 * string, so a chunk that needs no sanitising is never split into lines at all.
 */

export interface SpawnAgentOptions {
  binary: string;
  /** The config key `binary` came from, for the error when it cannot be started (default codex.binary). */
  binaryKey?: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the agent's stdin, which is then closed. */
  stdin: string;
  /**
   * The complete lines of one chunk of output, in order (sanitised unless `sanitize` is false): one call
   * per read from the pipe. May return a promise: both streams are paused until it settles
   * (back-pressure). Takes precedence over `onLine`.
   */
  onLines?: (stream: LogStream, lines: string[]) => void | Promise<void>;
  /** One line at a time, for callers that want that (same guarantees as `onLines`). */
  onLine?: (stream: LogStream, text: string) => void | Promise<void>;
  /**
   * `onLines` with the lines joined by "\n" (no trailing newline; "" is one empty line): no string per
   * line is made for a chunk that needs no sanitising. Takes precedence over `onLines` and `onLine`.
   */
  onText?: (stream: LogStream, text: string) => void | Promise<void>;
  /**
   * Every chunk of bytes as read from the pipe, before it is decoded or split (the agent's output
   * verbatim); called before the chunk's lines are delivered, and awaited like them.
   */
  onBytes?: (stream: LogStream, chunk: Buffer) => void | Promise<void>;
  /** A line without a newline longer than this many bytes is passed on in pieces (default 64 KiB). */
  maxLineBytes?: number;
  /**
   * Pass lines through sanitizeAgentLine (default true). Structured output (JSONL events) turns this
   * off so a long event is not cut into unparsable pieces; its readable lines are sanitised when logged.
   */
  sanitize?: boolean;
  /** After the leader exited, how long to wait for the pipes to close (a grandchild may hold them). */
  drainMs?: number;
  /** Grace between SIGTERM and SIGKILL for processes left behind after the leader exited. */
  orphanGraceMs?: number;
  /**
   * The run's marker, put in the agent's environment as CAR_RUN_MARKER (appended to an inherited
   * one). Default: a fresh one per agent.
   */
  marker?: string;
  /** Start a lifeline watcher (proc/lifeline.ts): the processes end even if this process dies. */
  lifeline?: { graceMs: number };
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentProcess {
  /** PID of the leader = process group id. */
  readonly pid: number;
  /** The run marker in the agent's environment. */
  readonly marker: string;
  /** Processes other than the leader that outlived it or were killed with it (final once `exited` settled). */
  readonly leftovers: number;
  /** Settles once the leader exited, the output was drained (or cut off) and every onLine settled. */
  readonly exited: Promise<AgentExit>;
  /** SIGTERM to every process of the run, wait up to `graceMs`, then SIGKILL. Resolves when exited. */
  kill(graceMs: number): Promise<void>;
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const DEFAULT_DRAIN_MS = 2_000;
const DEFAULT_ORPHAN_GRACE_MS = 1_000;

/** Start the agent; rejects with AGENT_NOT_FOUND when the binary cannot be executed. */
export async function spawnAgent(options: SpawnAgentOptions): Promise<AgentProcess> {
  if (!options.onText && !options.onLines && !options.onLine)
    throw new CarError("INTERNAL", "spawnAgent needs an onText, onLines or onLine callback.");
  const marker = options.marker ?? newRunMarker();
  const env = { ...(options.env ?? process.env) };
  env[RUN_MARKER_ENV] = chainMarker(env[RUN_MARKER_ENV], marker);
  // The server's token is ours, not the agent's (or a verify command's): a command that prints its
  // environment must not put it in the log or a run record.
  delete env.CAR_AUTH_TOKEN;
  const lifeline = options.lifeline ? startLifeline({ marker, graceMs: options.lifeline.graceMs }) : null;
  let child: ChildProcess;
  try {
    child = spawn(options.binary, options.args, {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (err) {
    // Bad arguments throw here (a NUL byte in an arg): the watcher must not wait for this runner to die.
    lifeline?.release();
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      child.off("spawn", onSpawn);
      lifeline?.release();
      reject(spawnError(options.binary, options.binaryKey ?? "codex.binary", options.cwd, err));
    };
    const onSpawn = () => {
      child.off("error", onError);
      resolve();
    };
    child.once("error", onError);
    child.once("spawn", onSpawn);
  });
  // Later errors (e.g. kill on an already-reaped child) must not crash the process.
  child.on("error", () => {});
  lifeline?.agentStarted(child.pid as number);
  return new RunningAgent(child, options, marker, lifeline);
}

function spawnError(binary: string, key: string, cwd: string, err: NodeJS.ErrnoException): CarError {
  if (err.code === "ENOENT" || err.code === "EACCES") {
    const why = err.code === "ENOENT" ? "was not found" : "is not executable";
    return new CarError(
      "AGENT_NOT_FOUND",
      `The agent binary "${binary}" ${why} (PATH lookup from ${cwd}); install it or set \`${key}\` in .codex-autorunner/config.yml.`,
      { key, found: binary, file: ".codex-autorunner/config.yml" },
      { cause: err },
    );
  }
  return new CarError(
    "AGENT_FAILED",
    `Could not start the agent "${binary}": ${err.message}`,
    { found: binary },
    {
      cause: err,
    },
  );
}

class RunningAgent implements AgentProcess {
  readonly pid: number;
  readonly exited: Promise<AgentExit>;
  private readonly target: RunTarget;
  private readonly ended = new Set<number>();
  private leaderExit: AgentExit | null = null;
  private readonly leaderExited: Promise<AgentExit>;
  /** Serialises onLine calls across both streams. */
  private chain: Promise<void> = Promise.resolve();
  private killing: Promise<void> | null = null;
  private terminating: Promise<void> = Promise.resolve();

  constructor(
    private readonly child: ChildProcess,
    private readonly options: SpawnAgentOptions,
    readonly marker: string,
    private readonly lifeline: Lifeline | null,
  ) {
    this.pid = child.pid as number;
    this.target = { marker, pgid: this.pid };
    this.leaderExited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.leaderExit = { code, signal };
        resolve(this.leaderExit);
      });
    });
    this.writeStdin();
    const out = this.pump(child.stdout as Readable, "stdout");
    const err = this.pump(child.stderr as Readable, "stderr");
    this.exited = this.settle(out, err).finally(() => this.lifeline?.release());
  }

  get leftovers(): number {
    return this.ended.size;
  }

  private writeStdin(): void {
    const stdin = this.child.stdin;
    if (!stdin) return;
    // An agent that exits without reading its stdin makes the write fail with EPIPE: not an error.
    stdin.on("error", () => {});
    stdin.end(this.options.stdin);
  }

  /** Read one stream to its end; resolves when it closed and its last callback settled. */
  private pump(stream: Readable, name: LogStream): Promise<void> {
    const sanitize = this.options.sanitize !== false;
    const { onBytes } = this.options;
    const splitter = new LineSplitter(this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);

    /** Hand `text` (complete lines joined by "\n", not yet sanitised) to the caller. */
    const deliver = (text: string): void | Promise<void> => {
      const { onText, onLines, onLine } = this.options;
      if (onText) return onText(name, sanitize ? sanitizeText(text) : text);
      const lines = sanitize ? sanitizeLines(text) : splitRaw(text);
      if (onLines) return onLines(name, lines);
      if (onLine) return eachLine(lines, (line) => onLine(name, line));
    };

    const processChunk = async (buf: Buffer): Promise<void> => {
      if (onBytes) await onBytes(name, buf);
      let text = splitter.push(buf);
      if (text !== null) {
        const delivered = deliver(text);
        // Not kept alive here while the consumer works through it (a 12 MB event line, parsed by then).
        text = null;
        await delivered;
      }
      // A line without a newline that reached the cap goes on now rather than being buffered whole.
      const piece = splitter.cut();
      if (piece !== null) await deliver(piece);
    };

    return new Promise<void>((resolve) => {
      stream.on("data", (buf: Buffer) => {
        stream.pause();
        this.chain = this.chain
          .then(() => processChunk(buf))
          .catch(() => {}) // a throwing consumer must not wedge the pipe
          .then(() => {
            stream.resume();
          });
      });
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        stream.removeAllListeners("data");
        this.chain = this.chain
          .then(() => {
            const tail = splitter.end();
            if (tail.length > 0) return deliver(tail);
          })
          .catch(() => {});
        this.chain.then(resolve, resolve);
      };
      stream.once("end", finish);
      stream.once("close", finish);
      stream.once("error", finish);
    }).then(() => undefined);
  }

  private async settle(out: Promise<void>, err: Promise<void>): Promise<AgentExit> {
    const exit = await this.leaderExited;
    const drained = Promise.all([out, err]);
    const drainMs = this.options.drainMs ?? DEFAULT_DRAIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), drainMs);
      }),
    ]);
    clearTimeout(timer);
    // Whatever the agent left (a grandchild still holding the pipe, a background job in another
    // session) goes with it.
    await this.terminateGroup(this.options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS);
    if (timedOut) {
      // Killing the group closes the pipes' write ends; give them a moment, then stop reading.
      const closed = await Promise.race([drained.then(() => true), delay(500).then(() => false)]);
      if (!closed) {
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        await Promise.race([drained, delay(1_000)]);
      }
    }
    await this.chain;
    return exit;
  }

  kill(graceMs: number): Promise<void> {
    this.killing ??= this.terminateGroup(graceMs).then(async () => {
      await this.exited;
    });
    return this.killing;
  }

  /**
   * SIGTERM every process of the run; SIGKILL what is still there after `graceMs`. Calls run one
   * after another, so `exited` (which waits for the last) never settles while a kill is still
   * scanning for the marker, which a retry's next agent shares.
   */
  private terminateGroup(graceMs: number): Promise<void> {
    const next = this.terminating.then(() => this.endAll(graceMs));
    this.terminating = next;
    return next;
  }

  private async endAll(graceMs: number): Promise<void> {
    const r = await endRunProcesses(this.target, { graceMs });
    for (const pid of r.ended) if (pid !== this.pid) this.ended.add(pid);
    if (this.leaderExit) return;
    // The leader is reaped by Node shortly after it died; wait for it so callers see a final state.
    await Promise.race([this.leaderExited, delay(5_000)]);
  }
}

/** `fn` over `lines` in order; a returned promise is awaited before the next line (stays sync when none is). */
function eachLine(
  lines: string[],
  fn: (line: string) => void | Promise<void>,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < lines.length; i++) {
    const r = fn(lines[i] as string);
    if (r && typeof (r as Promise<void>).then === "function") {
      return (r as Promise<void>).then(() => eachLine(lines, fn, i + 1));
    }
  }
}

/** Shell convention for a process ended by a signal: 128 + signal number (SIGTERM → 143). */
export function exitCodeOf(exit: AgentExit): number | null {
  if (exit.code !== null) return exit.code;
  if (exit.signal) {
    const no = osConstants.signals[exit.signal];
    return typeof no === "number" ? 128 + no : null;
  }
  return null;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
