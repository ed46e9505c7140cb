/**
 * Flags and environment that make the real Claude Code CLI (headless `claude -p`) talk only to the
 * scripted model server: ANTHROPIC_BASE_URL at 127.0.0.1, a fake key, a throwaway HOME, no
 * non-essential traffic, no retries of its own (so a fault reaches car), no auto-update.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { workspaceRoot } from "../paths.js";
import { type CodexHome, makeCodexHome } from "./codex.js";
import { type AgentRunResult, runAgentOnce } from "./run-agent.js";

/** The key claude sends as x-api-key; the server accepts anything, so it only has to be fake. */
export const FAKE_ANTHROPIC_API_KEY = "sk-ant-car-scripted-not-a-real-key";

/**
 * Headless stream-json flags: "run" lets the model's tools act (bypassPermissions), "chat" is
 * read-only (plan mode). The prompt goes on stdin.
 */
export function claudeArgs(mode: "run" | "chat" = "run"): string[] {
  const permission = mode === "run" ? "bypassPermissions" : "plan";
  return ["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", permission];
}

/** A temp dir with a cleanup(); claude keeps its config, sessions and shell snapshots there. */
export type ClaudeHome = CodexHome;

/** A fresh HOME for claude (same temp-dir helper as codex's home). */
export function makeClaudeHome(prefix = "car-claude-home-"): ClaudeHome {
  return makeCodexHome(prefix);
}

/** `http://127.0.0.1:PORT` — claude appends `/v1/messages` itself, so no `/v1`. */
export function claudeBaseUrl(server: { url: string }): string {
  return server.url.replace(/\/v1\/?$/, "");
}

/** Environment for running claude (or car, which passes its env on) against the scripted model. */
export function claudeEnvFor(
  server: { url: string },
  home: string | ClaudeHome,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const dir = typeof home === "string" ? home : home.dir;
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(base)) {
    // A real key, token, base URL or config dir from the developer's shell (or a parent Claude
    // Code session's markers) must not reach an offline test. Kept as undefined, not left out:
    // runCar/spawnCar lay this env over process.env, where only an undefined value removes a key.
    env[k] = /^(ANTHROPIC_|CLAUDE_|CLAUDECODE$)/.test(k) ? undefined : v;
  }
  return {
    ...env,
    ANTHROPIC_BASE_URL: claudeBaseUrl(server),
    ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
    // Its tool calls run the user's shell; a developer's profile must not run inside each test.
    HOME: dir,
    // Its per-project scratch dirs (/tmp/claude-<uid>/… otherwise) go away with the home.
    CLAUDE_CODE_TMPDIR: dir,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    // claude refuses bypassPermissions as root unless told it is in a sandbox.
    IS_SANDBOX: "1",
    DISABLE_AUTOUPDATER: "1",
    NO_COLOR: "1",
  };
}

/** The pinned Claude Code CLI (apps/e2e devDependency @anthropic-ai/claude-code), or $CAR_CLAUDE_BINARY. */
export function claudeBinaryPath(): string {
  const fromEnv = process.env.CAR_CLAUDE_BINARY;
  if (fromEnv) return fromEnv;
  const pinned = join(workspaceRoot(), "apps", "e2e", "node_modules", ".bin", "claude");
  if (!existsSync(pinned)) {
    throw new Error(
      `testkit: ${pinned} is missing; run \`pnpm install\` (apps/e2e pins @anthropic-ai/claude-code)`,
    );
  }
  return pinned;
}

/** Runs `claude -p` once against `server`, prompt on stdin; `events` are the stream-json lines. */
export function runClaude(opts: {
  server: { url: string };
  cwd: string;
  prompt: string;
  home: string | ClaudeHome;
  /** Replaces claudeArgs("run"). */
  args?: string[];
  binary?: string;
  timeoutMs?: number;
}): Promise<AgentRunResult> {
  return runAgentOnce({
    binary: opts.binary ?? claudeBinaryPath(),
    args: opts.args ?? claudeArgs("run"),
    cwd: opts.cwd,
    env: claudeEnvFor(opts.server, opts.home),
    prompt: opts.prompt,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
