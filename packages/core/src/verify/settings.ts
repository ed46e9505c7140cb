// The `verify:` settings: commands the harness runs after each agent run that exited 0, and what a
// failure does. VERIFY_SECTION is written in the config spec's vocabulary (config/spec-types.ts) so the
// config's one definition (config/spec.ts) can take it as its `verify` section unchanged; the plain
// type and defaults below are checked against it (settings.test.ts). Every key is `commented`: `car init`
// writes the section commented out (verification is opt-in).
import type { ObjectOf, SectionSpec } from "../config/spec-types.js";

/**
 * A command's name: it goes in log lines as `[verify <name>]`, so no spaces or brackets; 64 chars
 * at most so a log line stays readable.
 */
export const VERIFY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const VERIFY_ON_FAIL = ["reopen", "stop", "continue"] as const;
export type VerifyOnFail = (typeof VERIFY_ON_FAIL)[number];

export interface VerifyCommand {
  name: string;
  /** Run by `sh -c` in the repo root. */
  run: string;
  /** Kill the command's processes after this long (a failure); null/absent: see effectiveTimeoutSeconds. */
  timeout_seconds?: number | null;
}

export interface VerifySettings {
  commands: VerifyCommand[];
  on_fail: VerifyOnFail;
  max_consecutive_failures: number;
  output_max_chars: number;
}

export const DEFAULT_VERIFY_SETTINGS: Readonly<VerifySettings> = Object.freeze({
  commands: [],
  on_fail: "reopen",
  max_consecutive_failures: 3,
  output_max_chars: 4000,
});

export const VERIFY_SECTION = {
  doc: "Verification gates: commands the harness runs after each agent run that exited 0.",
  hint:
    "Commands the harness runs after each successful agent run; a failure reopens the items the run ticked\n" +
    "and goes into the next prompt as a <VERIFY_FAILED> block.",
  keys: {
    commands: {
      type: "object-list",
      item: {
        name: {
          type: "string",
          pattern: VERIFY_NAME_PATTERN,
          expected: "a name of letters, digits, _, . and - (up to 64, starting with a letter or digit)",
          doc: "the command's name (in the log as `[verify <name>]`, in the run record and the prompt)",
        },
        run: { type: "string", expected: "a shell command", doc: "run by `sh -c` in the repo root" },
        timeout_seconds: {
          type: "number",
          gt: 0,
          nullable: true,
          default: null,
          doc:
            "kill the command's processes after this long (a timeout is a failure); null: " +
            "`runner.run_timeout_seconds` applies (no limit when that is null too)",
        },
      },
      unique: "name",
      default: [],
      commented: true,
      doc:
        "run in order after each agent run that exited 0, each in its own process group; the first failure " +
        "(non-zero exit, signal or timeout) ends the sequence; names are unique (case-insensitively)",
      hint: "Run in order after each agent run that exited 0; the first failure ends the sequence",
      example: [
        { name: "test", run: "pnpm test", timeout_seconds: 900 },
        { name: "lint", run: "pnpm lint" },
      ],
    },
    on_fail: {
      type: "enum",
      values: VERIFY_ON_FAIL,
      default: "reopen",
      commented: true,
      doc:
        "`reopen`: untick the TODO items the run ticked, skip its auto-commit and tell the next run why; " +
        "`stop`: stop the loop (reason `verify_failed`); `continue`: record only",
      hint: "reopen | stop | continue",
    },
    max_consecutive_failures: {
      type: "int",
      min: 1,
      default: 3,
      commented: true,
      doc: "with `reopen`, the loop stops (reason `verify_failed`, exit 1) after this many failing runs in a row",
      hint: "then the loop stops (reason verify_failed, exit 1)",
    },
    output_max_chars: {
      type: "int",
      min: 0,
      default: 4000,
      commented: true,
      doc: "how much of a failing command's output (its tail) goes into the run record and the next prompt",
      hint: "how much failing output goes into the next prompt",
    },
  },
} as const satisfies SectionSpec;

/** What the config parser returns for the section, for the compile-time check in settings.test.ts. */
export type VerifySectionValue = ObjectOf<(typeof VERIFY_SECTION)["keys"]>;

/** Verification is on when there is at least one command. */
export function verifyEnabled(settings: Pick<VerifySettings, "commands">): boolean {
  return settings.commands.length > 0;
}

/**
 * A command's time limit in seconds, or null for none: its own `timeout_seconds`, else the runner's
 * run timeout (the run's watchdog rules apply to its gate too).
 */
export function effectiveTimeoutSeconds(
  command: Pick<VerifyCommand, "timeout_seconds">,
  runTimeoutSeconds: number | null | undefined,
): number | null {
  return command.timeout_seconds ?? runTimeoutSeconds ?? null;
}
