import { describe, expect, it } from "vitest";
import { buildConfigSchema } from "../config/schema.js";
import {
  DEFAULT_VERIFY_SETTINGS,
  effectiveTimeoutSeconds,
  VERIFY_SECTION,
  type VerifySectionValue,
  type VerifySettings,
  verifyEnabled,
} from "./settings.js";

// The section as the config's one definition will hold it, through the real spec kit.
const schema = buildConfigSchema({ verify: VERIFY_SECTION });

function parse(verify: unknown): VerifySectionValue {
  return (schema.parse({ verify }) as { verify: VerifySectionValue }).verify;
}

function errors(verify: unknown): string[] {
  const r = schema.safeParse({ verify });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("VERIFY_SECTION", () => {
  it("gives the plain defaults for an empty section", () => {
    expect(parse({})).toEqual(DEFAULT_VERIFY_SETTINGS);
    expect(verifyEnabled(parse({}))).toBe(false);
  });

  it("parses the issue's example into the plain type (a null timeout when none is set)", () => {
    const v = parse({
      commands: [
        { name: "test", run: "pnpm test", timeout_seconds: 900 },
        { name: "lint", run: "pnpm lint" },
      ],
      on_fail: "stop",
    });
    // Compile-time: what the parser returns is a VerifySettings.
    const settings: VerifySettings = v;
    expect(settings.commands).toEqual([
      { name: "test", run: "pnpm test", timeout_seconds: 900 },
      { name: "lint", run: "pnpm lint", timeout_seconds: null },
    ]);
    expect(settings.on_fail).toBe("stop");
    expect(settings.max_consecutive_failures).toBe(3);
    expect(verifyEnabled(settings)).toBe(true);
  });

  it("refuses bad values with the key and what was expected", () => {
    expect(errors({ commands: [{ name: "unit tests", run: "x" }] })).toEqual([
      expect.stringMatching(/^verify\.commands\.0\.name: .*letters, digits/),
    ]);
    expect(errors({ commands: [{ name: "t" }] })).toEqual([
      expect.stringMatching(/^verify\.commands\.0\.run: /),
    ]);
    expect(
      errors({
        commands: [
          { name: "test", run: "a" },
          { name: "TEST", run: "b" },
        ],
      }),
    ).toEqual([
      "verify.commands.1.name: a name not already used by verify.commands[0] (names are case-insensitive)",
    ]);
    expect(errors({ on_fail: "retry" })).toEqual([expect.stringMatching(/^verify\.on_fail: .*reopen/)]);
    expect(errors({ max_consecutive_failures: 0 })).toEqual([
      "verify.max_consecutive_failures: an integer ≥ 1",
    ]);
    expect(errors({ commands: [{ name: "t", run: "x", timeout_seconds: 0 }] })).toEqual([
      "verify.commands.0.timeout_seconds: a number > 0 or null",
    ]);
    expect(errors({ output_max_chars: -1 })).toEqual(["verify.output_max_chars: an integer ≥ 0"]);
  });
});

describe("effectiveTimeoutSeconds", () => {
  it("takes the command's own limit, else the run's, else none", () => {
    expect(effectiveTimeoutSeconds({ timeout_seconds: 5 }, 60)).toBe(5);
    expect(effectiveTimeoutSeconds({ timeout_seconds: null }, 60)).toBe(60);
    expect(effectiveTimeoutSeconds({}, null)).toBeNull();
    expect(effectiveTimeoutSeconds({}, undefined)).toBeNull();
  });
});
