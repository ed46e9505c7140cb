/**
 * What `car doctor` needs to know about the codex binary: its version, and whether `exec --json`
 * exists (codex before ~0.30 had no JSON events; the plain backend still works with it).
 */
import { execFile } from "node:child_process";

export interface CodexProbe {
  /** e.g. "0.169.0"; null when the binary could not be run or printed no version. */
  version: string | null;
  /** `codex exec --help` mentions `--json`. */
  jsonSupported: boolean;
  /** Why the probe failed (binary missing, not executable, timed out), null when it ran. */
  error: string | null;
}

function run(binary: string, args: string[], timeoutMs: number): Promise<{ out: string; err: Error | null }> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => resolve({ out: `${stdout}\n${stderr}`, err }),
    );
  });
}

export function parseCodexVersion(text: string): string | null {
  return /(\d+\.\d+\.\d+(?:[-+][\w.]+)?)/.exec(text)?.[1] ?? null;
}

export async function probeCodex(binary: string, options: { timeoutMs?: number } = {}): Promise<CodexProbe> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const v = await run(binary, ["--version"], timeoutMs);
  const version = parseCodexVersion(v.out);
  if (v.err && version === null) {
    const code = (v.err as NodeJS.ErrnoException).code;
    const error =
      code === "ENOENT"
        ? `${binary}: not found (install with \`npm i -g @openai/codex\` or set codex.binary)`
        : code === "EACCES"
          ? `${binary}: not executable`
          : `${binary} --version failed: ${v.err.message}`;
    return { version: null, jsonSupported: false, error };
  }
  const help = await run(binary, ["exec", "--help"], timeoutMs);
  return { version, jsonSupported: /(^|\s)--json\b/m.test(help.out), error: null };
}
