/**
 * What `car doctor` needs to know about the codex binary: its version, and whether `exec --json`
 * exists (codex before ~0.30 had no JSON events; the plain backend still works with it).
 */
import { runQuick } from "./run-quick.js";

export interface CodexProbe {
  /** e.g. "0.169.0"; null when the binary could not be run or printed no version. */
  version: string | null;
  /** `codex exec --help` mentions `--json`. */
  jsonSupported: boolean;
  /** Why the probe failed (binary missing, not executable, timed out), null when it ran. */
  error: string | null;
}

export function parseCodexVersion(text: string): string | null {
  return /(\d+\.\d+\.\d+(?:[-+][\w.]+)?)/.exec(text)?.[1] ?? null;
}

export async function probeCodex(binary: string, options: { timeoutMs?: number } = {}): Promise<CodexProbe> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const v = await runQuick(binary, ["--version"], timeoutMs);
  const version = parseCodexVersion(v.out);
  // A --version that hangs is a failure even after printing something: the agent would hang too.
  if (v.timedOut || (v.failure !== null && version === null)) {
    const error =
      v.errno === "ENOENT"
        ? `${binary}: not found (install with \`npm i -g @openai/codex\` or set codex.binary)`
        : v.errno === "EACCES"
          ? `${binary}: not executable`
          : v.timedOut
            ? `${binary} --version ${v.failure}`
            : `${binary} --version failed: ${v.failure}`;
    return { version: null, jsonSupported: false, error };
  }
  const help = await runQuick(binary, ["exec", "--help"], timeoutMs);
  if (help.timedOut) {
    return { version, jsonSupported: false, error: `${binary} exec --help ${help.failure}` };
  }
  return { version, jsonSupported: /(^|\s)--json\b/m.test(help.out), error: null };
}
