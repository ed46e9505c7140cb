import { describe, expect, it } from "vitest";
import { carError as catchCar } from "../testing/car-error.js";
import {
  deepMerge,
  parseConfig,
  renderDefaultConfigYaml,
  setConfigValue,
  unknownConfigKeys,
} from "./parse.js";
import { DEFAULT_CODEX_ARGS, DEFAULT_CONFIG, LEGACY_CODEX_ARGS } from "./schema.js";

const FILE = ".codex-autorunner/config.yml";

/** The config.yml the original Python tool wrote. */
const ORIGINAL_CONFIG = `version: 1
docs:
  todo: .codex-autorunner/TODO.md
  progress: .codex-autorunner/PROGRESS.md
  opinions: .codex-autorunner/OPINIONS.md
codex:
  binary: codex
  args:
  - --yolo
  - exec
  - --sandbox
  - danger-full-access
prompt:
  prev_run_max_chars: 6000
  template: .codex-autorunner/prompt.txt
runner:
  sleep_seconds: 5
  stop_after_runs: null
  max_wallclock_seconds: null
git:
  auto_commit: false
  commit_message_template: '[codex] run #{run_id}'
server:
  host: 127.0.0.1
  port: 4173
  auth_token: null
`;

describe("parseConfig", () => {
  it("accepts the original tool's config with its legacy args as is", () => {
    const { config } = parseConfig(ORIGINAL_CONFIG, FILE);
    expect(config.codex.args).toEqual(LEGACY_CODEX_ARGS);
    expect(config.runner.max_retries).toBe(3);
    expect(config.git.commit_message_template).toBe("[codex] run #{run_id}");
    expect(config.docs.extras).toEqual([]);
  });

  it("treats an empty or comment-only file as all defaults", () => {
    expect(parseConfig("", FILE).config).toEqual(DEFAULT_CONFIG);
    expect(parseConfig("# nothing yet\n", FILE).config).toEqual(DEFAULT_CONFIG);
    expect(parseConfig("\uFEFFversion: 1\n", FILE).config).toEqual(DEFAULT_CONFIG);
  });

  it("deep-merges over defaults: objects merged, arrays replaced, explicit null kept", () => {
    const { config, raw } = parseConfig(
      "runner:\n  sleep_seconds: 0.5\n  no_progress_runs: null\ncodex:\n  args: [exec, '-']\n",
      FILE,
    );
    expect(config.runner.sleep_seconds).toBe(0.5);
    expect(config.runner.no_progress_runs).toBeNull();
    expect(config.runner.kill_grace_seconds).toBe(10);
    expect(config.codex.args).toEqual(["exec", "-"]);
    expect(config.codex.binary).toBe("codex");
    expect(raw).toEqual({
      runner: { sleep_seconds: 0.5, no_progress_runs: null },
      codex: { args: ["exec", "-"] },
    });
  });

  it("keeps unknown keys at every level", () => {
    const { config } = parseConfig("future: {a: 1}\nrunner:\n  turbo: true\n", FILE);
    expect((config as Record<string, unknown>).future).toEqual({ a: 1 });
    expect((config.runner as Record<string, unknown>).turbo).toBe(true);
  });

  it("reads an empty section as defaults", () => {
    const { config } = parseConfig("version: 1\nrunner:\n  # sleep_seconds: 1\ngit:\n", FILE);
    expect(config.runner).toEqual(DEFAULT_CONFIG.runner);
    expect(config.git).toEqual(DEFAULT_CONFIG.git);
  });

  it("lists unknown keys (possible typos) without rejecting them", () => {
    const { raw } = parseConfig(
      "runner:\n  sleep_second: 1\nmine: 2\ndocs:\n  extras: [{name: a, path: a.md, colour: red}]\n",
      FILE,
    );
    expect(unknownConfigKeys(raw)).toEqual(["runner.sleep_second", "mine", "docs.extras[0].colour"]);
    expect(unknownConfigKeys(parseConfig(renderDefaultConfigYaml(), FILE).raw)).toEqual([]);
  });

  it("reads YAML 1.1 booleans like the original's PyYAML", () => {
    expect(parseConfig("git:\n  auto_commit: yes\n", FILE).config.git.auto_commit).toBe(true);
  });

  it("fills include_in_prompt for extras", () => {
    const { config } = parseConfig("docs:\n  extras:\n    - {name: spec, path: docs/spec.md}\n", FILE);
    expect(config.docs.extras).toEqual([{ name: "spec", path: "docs/spec.md", include_in_prompt: true }]);
  });

  it("names file, key, expectation and found value for a wrong type", () => {
    const err = catchCar(() => parseConfig("runner:\n  sleep_seconds: five\n", FILE));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toBe(`${FILE}: runner.sleep_seconds: expected a number ≥ 0, found "five"`);
    expect(err.details).toMatchObject({
      file: FILE,
      key: "runner.sleep_seconds",
      expected: "a number ≥ 0",
      found: '"five"',
    });
  });

  it("lists every issue in the message and details the first", () => {
    const err = catchCar(() => parseConfig("server:\n  port: 70000\nrunner:\n  max_retries: -1\n", FILE));
    expect(err.message.split("\n")).toEqual([
      `${FILE}: runner.max_retries: expected an integer ≥ 0, found -1`,
      `${FILE}: server.port: expected an integer from 0 to 65535, found 70000`,
    ]);
    expect(err.details.key).toBe("runner.max_retries");
  });

  it("reports nested array paths and non-mapping sections", () => {
    const e1 = catchCar(() => parseConfig("codex:\n  args: [exec, 3]\n", FILE));
    expect(e1.details.key).toBe("codex.args[1]");
    expect(e1.message).toContain("expected a string, found 3");
    const e2 = catchCar(() => parseConfig("runner: fast\n", FILE));
    expect(e2.details).toMatchObject({ key: "runner", found: '"fast"' });
    const e3 = catchCar(() => parseConfig("- a\n- b\n", FILE));
    expect(e3.code).toBe("CONFIG_INVALID");
    expect(e3.details.key).toBe("(top level)");
  });

  it("rejects bad, reserved and duplicate extra names", () => {
    const bad = catchCar(() => parseConfig("docs:\n  extras: [{name: 1abc, path: x.md}]\n", FILE));
    expect(bad.details.key).toBe("docs.extras[0].name");
    const reserved = catchCar(() => parseConfig("docs:\n  extras: [{name: TODO, path: x.md}]\n", FILE));
    expect(reserved.details).toMatchObject({ key: "docs.extras[0].name", found: '"TODO"' });
    const dup = catchCar(() =>
      parseConfig("docs:\n  extras: [{name: spec, path: a.md}, {name: Spec, path: b.md}]\n", FILE),
    );
    expect(dup.details.key).toBe("docs.extras[1].name");
    expect(dup.message).toContain("docs.extras[0]");
  });

  it("gives 1-based line and column for malformed YAML", () => {
    const err = catchCar(() => parseConfig("version: 1\nrunner:\n  sleep_seconds: 5\n   bad: [\n", FILE));
    expect(err.code).toBe("CONFIG_YAML");
    expect(err.details.file).toBe(FILE);
    expect(err.details.line).toBeGreaterThanOrEqual(3);
    expect(err.message).toContain(`line ${err.details.line}, column ${err.details.column}`);
    const dupKey = catchCar(() => parseConfig("version: 1\nversion: 1\n", FILE));
    expect(dupKey.details).toMatchObject({ line: 2, column: 1 });
  });

  it("rejects multi-document files", () => {
    expect(catchCar(() => parseConfig("a: 1\n---\nb: 2\n", FILE)).code).toBe("CONFIG_YAML");
  });

  it("rejects versions other than 1 with CONFIG_VERSION", () => {
    const err = catchCar(() => parseConfig("version: 2\n", FILE));
    expect(err.code).toBe("CONFIG_VERSION");
    expect(err.message).toBe(`${FILE}: version 2 is not supported (expected 1)`);
    expect(catchCar(() => parseConfig("version: '1'\n", FILE)).code).toBe("CONFIG_VERSION");
    expect(parseConfig("runner: {}\n", FILE).config.version).toBe(1);
  });
});

describe("renderDefaultConfigYaml", () => {
  it("parses back to DEFAULT_CONFIG and uses the new codex args", () => {
    const text = renderDefaultConfigYaml();
    expect(text).toMatch(/^# /);
    expect(parseConfig(text, FILE).config).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.codex.args).toEqual(DEFAULT_CODEX_ARGS);
  });

  it("can start with the schema modeline, which setConfigValue keeps", () => {
    const text = renderDefaultConfigYaml({ schema: "./config.schema.json" });
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./config.schema.json");
    expect(parseConfig(text, FILE).config).toEqual(DEFAULT_CONFIG);
    const changed = setConfigValue(text, "runner.sleep_seconds", 1);
    expect(changed.split("\n")[0]).toBe("# yaml-language-server: $schema=./config.schema.json");
    expect(parseConfig(changed, FILE).config.runner.sleep_seconds).toBe(1);
  });
});

describe("setConfigValue", () => {
  it("changes one key and keeps unknown keys and the header comment", () => {
    const text = "# my header\nversion: 1\nmine: {keep: [1, 2]}\nrunner:\n  sleep_seconds: 5\n  custom: x\n";
    const out = setConfigValue(text, "runner.sleep_seconds", 1);
    expect(out.startsWith("# my header\n")).toBe(true);
    const { config, raw } = parseConfig(out, FILE);
    expect(config.runner.sleep_seconds).toBe(1);
    expect(raw.mine).toEqual({ keep: [1, 2] });
    expect((raw.runner as Record<string, unknown>).custom).toBe("x");
  });

  it("creates missing sections, removes with undefined, and refuses invalid values", () => {
    const out = setConfigValue("", ["git", "auto_commit"], true);
    expect(parseConfig(out, FILE).raw).toEqual({ version: 1, git: { auto_commit: true } });
    const removed = setConfigValue(out, "git.auto_commit", undefined);
    expect(parseConfig(removed, FILE).config.git.auto_commit).toBe(false);
    expect(catchCar(() => setConfigValue(out, "server.port", "http")).code).toBe("CONFIG_INVALID");
    expect(catchCar(() => setConfigValue("runner: 3\n", "runner.sleep_seconds", 1)).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect(catchCar(() => setConfigValue("x: 3\n", "x.y", 1)).code).toBe("INVALID_ARGUMENT");
    expect(catchCar(() => setConfigValue("", "a..b", 1)).code).toBe("INVALID_ARGUMENT");
  });

  it("keeps strings that look like other types as strings", () => {
    const out = setConfigValue("", "git.commit_message_template", "yes");
    expect(parseConfig(out, FILE).config.git.commit_message_template).toBe("yes");
    const token = setConfigValue("", "server.auth_token", "1234567890123456");
    expect(parseConfig(token, FILE).config.server.auth_token).toBe("1234567890123456");
  });
});

describe("deepMerge", () => {
  it("does not mutate its inputs", () => {
    const base = { a: { b: [1], c: 1 } };
    const merged = deepMerge(base, { a: { c: 2 } });
    merged.a.b.push(2);
    expect(base).toEqual({ a: { b: [1], c: 1 } });
    expect(merged).toEqual({ a: { b: [1, 2], c: 2 } });
  });

  it("ignores __proto__ keys", () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged.polluted).toBeUndefined();
  });
});

describe("parseConfig and YAML aliases", () => {
  it("keeps an alias bomb under an unknown key as shared nodes instead of expanding it", () => {
    const names = "abcdefghi".split("");
    let text = 'version: 1\nbomb:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < names.length; i++) {
      text += `  ${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(",")}]\n`;
    }
    const { config } = parseConfig(text, ".codex-autorunner/config.yml");
    const bomb = (config as Record<string, unknown>).bomb as Record<string, unknown[]>;
    // 9^9 leaves if expanded; shared, the nine entries of each level are the same object.
    expect(bomb.i).toHaveLength(9);
    expect(bomb.i?.[0]).toBe(bomb.i?.[8]);
    expect(bomb.i?.[0]).toBe(bomb.h);
  });

  it("setConfigValue rewrites a file holding an alias bomb without expanding it", () => {
    const text = `version: 1\n${aliasBomb(9)}`;
    const out = setConfigValue(text, "runner.sleep_seconds", 5, FILE);
    expect(out.length).toBeLessThan(4 * text.length); // expanded: gigabytes
    const { config } = parseConfig(out, FILE);
    expect(config.runner.sleep_seconds).toBe(5);
    const bomb = (config as Record<string, unknown>).bomb as Record<string, unknown[]>;
    expect(bomb.l8?.[0]).toBe(bomb.l7);
  });
});

/** YAML whose `levels`-deep list of nine aliases per level expands to 9^levels leaves. */
function aliasBomb(levels: number): string {
  let text = 'bomb:\n  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < levels; i++)
    text += `  l${i}: &l${i} [${Array(9)
      .fill(`*l${i - 1}`)
      .join(",")}]\n`;
  return text;
}

describe("config errors and YAML aliases", () => {
  it("an alias bomb where a scalar belongs is described from its first characters, not expanded", () => {
    // 9^9 leaves: serialising it whole ends in "Invalid string length" or an exhausted heap.
    const text = `${aliasBomb(9)}runner:\n  sleep_seconds: *l8\n`;
    const err = catchCar(() => parseConfig(text, FILE));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.details).toMatchObject({ key: "runner.sleep_seconds" });
    expect(String(err.details.found)).toBe(
      `a list (${"[".repeat(9)}${'"lol",'.repeat(9)}`.slice(0, 68) + ")",
    );
    const version = catchCar(() => parseConfig(`${aliasBomb(9)}version: *l8\n`, FILE));
    expect(version.code).toBe("CONFIG_VERSION");
    expect(version.message.length).toBeLessThan(200);
  });

  it("a small list is still shown as JSON", () => {
    const err = catchCar(() => parseConfig("runner:\n  sleep_seconds: [1, a]\n", FILE));
    expect(err.details.found).toBe('a list ([1,"a"])');
  });
});

describe("config errors never echo a secret, whatever its type", () => {
  const TOKEN = "hunter2secretXXXXXXXXXXX";
  const cases: Array<[string, string, string]> = [
    [`server:\n  auth_token: ["${TOKEN}"]\n`, "server.auth_token", "a list (1 item)"],
    [`server:\n  auth_token: {t: "${TOKEN}"}\n`, "server.auth_token", "a mapping"],
    [`server:\n  auth_token: 12345678901234567890123\n`, "server.auth_token", "a number"],
    [`server: "${TOKEN}"\n`, "server", "24 characters"],
    [`server: ["${TOKEN}"]\n`, "server", "a list (1 item)"],
    [`notify: "${TOKEN}"\n`, "notify", "24 characters"],
    [
      `notify:\n  targets: ["https://hooks.slack.com/services/${TOKEN}"]\n`,
      "notify.targets[0]",
      "57 characters",
    ],
    [
      `notify:\n  targets:\n    - type: slack\n      url: ["https://hooks.slack.com/${TOKEN}"]\n`,
      "notify.targets[0].url",
      "a list (1 item)",
    ],
  ];
  for (const [text, key, found] of cases) {
    it(`${JSON.stringify(text)}: ${key} described as ${found}`, () => {
      const err = catchCar(() => parseConfig(text, FILE));
      expect(err.code).toBe("CONFIG_INVALID");
      expect(err.details).toMatchObject({ key, found });
      expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain("hunter2");
    });
  }

  it("keys that are no secret are still shown", () => {
    const err = catchCar(() => parseConfig("runner:\n  max_total_tokens: [5]\n", FILE));
    expect(err.details).toMatchObject({ key: "runner.max_total_tokens", found: "a list ([5])" });
  });
});
