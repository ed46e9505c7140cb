/** Runs an agent CLI once (codex exec, claude -p) with the prompt on stdin and collects its output. */
import { spawn } from "node:child_process";

export interface AgentRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout lines that parsed as JSON objects (codex's `--json` / claude's stream-json events). */
  events: Array<Record<string, unknown>>;
}

function parseJsonLines(stdout: string): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === "object" && v !== null) events.push(v as Record<string, unknown>);
    } catch {
      // not an event line
    }
  }
  return events;
}

export function runAgentOnce(opts: {
  binary: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  prompt: string;
  /** SIGKILL the whole process group after this long (default 60 s). */
  timeoutMs?: number;
}): Promise<AgentRunResult> {
  const child = spawn(opts.binary, opts.args, {
    cwd: opts.cwd,
    env: opts.env as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdin.on("error", () => {});
  child.stdin.end(opts.prompt);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // A shim → node → native binary (and the shells it started): end the whole group.
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, events: parseJsonLines(stdout) });
    });
  });
}
