import { describe, expect, it } from "vitest";
import { parseConfig } from "./parse.js";
import {
  configSchema,
  DEFAULT_CHAT_ARGS,
  DEFAULT_CLAUDE_ARGS,
  DEFAULT_CLAUDE_CHAT_ARGS,
  DEFAULT_CODEX_ARGS,
  DEFAULT_CONFIG,
  LEGACY_CODEX_ARGS,
} from "./schema.js";

describe("configSchema", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_CONFIG).toEqual({
      version: 1,
      docs: {
        todo: ".codex-autorunner/TODO.md",
        progress: ".codex-autorunner/PROGRESS.md",
        opinions: ".codex-autorunner/OPINIONS.md",
        extras: [],
      },
      codex: { binary: "codex", args: DEFAULT_CODEX_ARGS },
      claude: { binary: "claude", args: DEFAULT_CLAUDE_ARGS, chat_args: DEFAULT_CLAUDE_CHAT_ARGS },
      chat: { args: DEFAULT_CHAT_ARGS },
      prompt: {
        prev_run_max_chars: 6000,
        max_doc_bytes: 2_097_152,
        template: ".codex-autorunner/prompt.txt",
      },
      runner: {
        agent: "codex",
        fallback_agent: null,
        sleep_seconds: 5,
        stop_after_runs: null,
        max_wallclock_seconds: null,
        run_timeout_seconds: null,
        idle_timeout_seconds: 900,
        kill_grace_seconds: 10,
        max_retries: 3,
        retry_base_seconds: 5,
        limit_wait_seconds: 60,
        max_limit_wait_seconds: 43200,
        input_wait_seconds: 86400,
        no_progress_runs: 3,
        max_total_tokens: null,
      },
      git: { auto_commit: false, commit_message_template: "[codex] run #{run_id}", checkpoints: true },
      server: { host: "127.0.0.1", port: 4173, auth_token: null, max_body_bytes: 1_048_576 },
      verify: { commands: [], on_fail: "reopen", max_consecutive_failures: 3, output_max_chars: 4000 },
      notify: { targets: [] },
    });
    expect(DEFAULT_CODEX_ARGS.at(-1)).toBe("-");
    expect(DEFAULT_CHAT_ARGS).toContain("read-only");
  });

  it("validates the original's args unchanged", () => {
    const r = configSchema.safeParse({ version: 1, codex: { args: LEGACY_CODEX_ARGS } });
    expect(r.success && r.data.codex.args).toEqual(LEGACY_CODEX_ARGS);
  });

  it("server.auth_token: at least 16 visible ASCII characters, and errors never echo it", () => {
    const tokenOf = (auth_token: unknown) => configSchema.safeParse({ server: { auth_token } });
    expect(tokenOf("0123456789abcdef").success).toBe(true);
    expect(tokenOf(null).success).toBe(true);
    for (const bad of [
      "",
      "short-secret",
      " ".repeat(20),
      "\t".repeat(16),
      "with a space in it!",
      "é".repeat(16),
    ])
      expect(tokenOf(bad).success, JSON.stringify(bad)).toBe(false);
    const short = "short-secret-15";
    let message = "";
    try {
      parseConfig(`server:\n  auth_token: ${short}\n`, "config.yml");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      "config.yml: server.auth_token: expected a token of at least 16 visible ASCII characters (no spaces) or null, found 15 characters",
    );
    expect(() => parseConfig('server:\n  auth_token: "   "\n', "config.yml")).toThrow(
      /found only whitespace/,
    );
  });

  it("rejects a version other than the literal 1", () => {
    expect(configSchema.safeParse({ version: 2 }).success).toBe(false);
  });

  it("DEFAULT_CONFIG is frozen while parsed configs are the caller's to change", () => {
    expect(Object.isFrozen(DEFAULT_CONFIG.runner)).toBe(true);
    expect(() => {
      (DEFAULT_CONFIG.docs.extras as unknown[]).push({});
    }).toThrow(TypeError);
    const { config } = parseConfig("", "config.yml");
    config.runner.sleep_seconds = 1;
    config.codex.args.push("--x");
    expect(DEFAULT_CONFIG.runner.sleep_seconds).toBe(5);
    expect(DEFAULT_CONFIG.codex.args).toEqual(DEFAULT_CODEX_ARGS);
  });
});
