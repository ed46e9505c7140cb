/**
 * Flags and environment that make the real Codex CLI talk only to a scripted model server:
 * a custom provider at 127.0.0.1, a throwaway CODEX_HOME, no plugins, no analytics, and no
 * unbounded reconnect loop (otherwise codex waits for the network forever).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workspaceRoot } from "../paths.js";
import { type AgentRunResult, runAgentOnce } from "./run-agent.js";

export const MOCK_PROVIDER_ID = "car_scripted";

export interface CodexArgsOptions {
  /**
   * "full" (default): `--dangerously-bypass-approvals-and-sandbox`, what car's default config uses.
   * Otherwise `--sandbox <mode>` (read-only for chat, workspace-write for a confined agent).
   */
  sandbox?: "full" | "read-only" | "workspace-write";
  /** codex's own HTTP retries per request (default 0, so a fault reaches car's retry logic). */
  requestMaxRetries?: number;
  /** codex's own reconnects of a dropped stream (default 0, for the same reason). */
  streamMaxRetries?: number;
  /** codex's own idle timeout on the SSE stream, ms (default: codex's, 300 s). */
  streamIdleTimeoutMs?: number;
  /** Add `--json` (default true). */
  json?: boolean;
  /** Append `-` so the prompt is read from stdin (default true). */
  stdin?: boolean;
  /** Model name sent to the server (default: codex's own default; an unknown name makes codex print a
   * "Model metadata … not found" error event). */
  model?: string;
}

/** The part of the args that points codex at `server` (no `exec`, no `--json`, no `-`). */
export function codexProviderArgs(server: { url: string }, opts: CodexArgsOptions = {}): string[] {
  const fields = [
    `name="car scripted model"`,
    `base_url=${JSON.stringify(server.url)}`,
    `wire_api="responses"`,
    `request_max_retries=${opts.requestMaxRetries ?? 0}`,
    `stream_max_retries=${opts.streamMaxRetries ?? 0}`,
  ];
  if (opts.streamIdleTimeoutMs !== undefined)
    fields.push(`stream_idle_timeout_ms=${opts.streamIdleTimeoutMs}`);
  return [
    "--skip-git-repo-check",
    "--disable",
    "unbounded_connection_retries",
    "--disable",
    "plugins",
    "--disable",
    "remote_plugin",
    "-c",
    "analytics.enabled=false",
    ...(opts.model !== undefined ? ["-c", `model=${JSON.stringify(opts.model)}`] : []),
    "-c",
    `model_provider=${MOCK_PROVIDER_ID}`,
    "-c",
    `model_providers.${MOCK_PROVIDER_ID}={${fields.join(", ")}}`,
  ];
}

/** Full `codex.args` for car's config: `exec [--json] <sandbox> <offline provider> [-]`. */
export function codexArgsFor(server: { url: string }, opts: CodexArgsOptions = {}): string[] {
  const sandbox = opts.sandbox ?? "full";
  const args = ["exec"];
  if (opts.json !== false) args.push("--json");
  if (sandbox === "full") args.push("--dangerously-bypass-approvals-and-sandbox");
  else args.push("--sandbox", sandbox);
  args.push(...codexProviderArgs(server, opts));
  if (opts.stdin !== false) args.push("-");
  return args;
}

export interface CodexHome {
  dir: string;
  cleanup(): void;
}

/** A fresh CODEX_HOME (codex requires it to exist). */
export function makeCodexHome(prefix = "car-codex-home-"): CodexHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment for running codex (or car, which passes its env on) against the scripted model. */
export function codexEnvFor(
  codexHome: string | CodexHome,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const dir = typeof codexHome === "string" ? codexHome : codexHome.dir;
  // HOME too: codex's tool calls run login shells (`bash -lc`), and a developer's profile (pyenv's
  // background rehash, say) would otherwise run inside every test's shell and outlive or stall it.
  const env: Record<string, string | undefined> = { ...base, CODEX_HOME: dir, HOME: dir, NO_COLOR: "1" };
  // A real key or base URL from the developer's shell must not leak into an offline test. Undefined,
  // not deleted: runCar/spawnCar lay this env over process.env, where only undefined removes a key.
  env.OPENAI_API_KEY = undefined;
  env.OPENAI_BASE_URL = undefined;
  env.RUST_LOG = undefined;
  return env;
}

/** The pinned Codex CLI (apps/e2e devDependency @openai/codex), or $CAR_CODEX_BINARY. */
export function codexBinaryPath(): string {
  const fromEnv = process.env.CAR_CODEX_BINARY;
  if (fromEnv) return fromEnv;
  const pinned = join(workspaceRoot(), "apps", "e2e", "node_modules", ".bin", "codex");
  if (!existsSync(pinned)) {
    throw new Error(`testkit: ${pinned} is missing; run \`pnpm install\` (apps/e2e pins @openai/codex)`);
  }
  return pinned;
}

export type CodexExecResult = AgentRunResult;

/** Runs `codex exec` once against `server`, prompt on stdin, and collects its output. */
export function runCodexExec(opts: {
  server: { url: string };
  cwd: string;
  prompt: string;
  codexHome: string | CodexHome;
  args?: CodexArgsOptions;
  binary?: string;
  timeoutMs?: number;
}): Promise<CodexExecResult> {
  return runAgentOnce({
    binary: opts.binary ?? codexBinaryPath(),
    args: codexArgsFor(opts.server, opts.args),
    cwd: opts.cwd,
    env: codexEnvFor(opts.codexHome),
    prompt: opts.prompt,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
