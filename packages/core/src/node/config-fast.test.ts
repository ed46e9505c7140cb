import fc from "fast-check";
import { dump, load, YAML11_SCHEMA } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseConfig, renderDefaultConfigYaml, setConfigValue } from "../config/parse.js";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { CONFIG_SPEC } from "../config/spec.js";
import { defaultsOf } from "../config/spec-read.js";
import { parseConfigFast } from "./config-fast.js";
import { readYamlSubset } from "./config-yaml-subset.js";

const FILE = ".codex-autorunner/config.yml";

/** parseConfig's result, or the error it throws. */
function full(text: string): { config: unknown; raw: unknown } | { error: unknown } {
  try {
    return parseConfig(text, FILE);
  } catch (error) {
    return { error };
  }
}

/** The fast path either declines (null) or returns exactly what parseConfig returns, key order included. */
function expectAgrees(text: string): boolean {
  const fast = parseConfigFast(text);
  if (fast === null) return false;
  const ref = full(text);
  expect(ref, text).not.toHaveProperty("error");
  expect(JSON.stringify(fast.config), text).toBe(JSON.stringify((ref as { config: unknown }).config));
  expect(JSON.stringify(fast.raw), text).toBe(JSON.stringify((ref as { raw: unknown }).raw));
  return true;
}

const benchConfig = [
  "version: 1",
  "codex:",
  '  binary: "/usr/bin/node"',
  '  args: ["agent.mjs","--flag"]',
  "runner:",
  "  sleep_seconds: 0",
  "  max_retries: 0",
  "  no_progress_runs: 0",
  "",
].join("\n");

describe("parseConfigFast", () => {
  it("merges over the spec's defaults, which equal the zod schema's DEFAULT_CONFIG (key order included)", () => {
    expect(JSON.stringify(defaultsOf(CONFIG_SPEC))).toBe(JSON.stringify(DEFAULT_CONFIG));
    expect(parseConfigFast("")?.config).toEqual(DEFAULT_CONFIG);
  });

  it("reads the files car writes and common hand edits exactly like parseConfig", () => {
    const accepted = [
      renderDefaultConfigYaml(),
      renderDefaultConfigYaml({ schema: "./config.schema.json" }),
      benchConfig,
      "",
      "# only a comment\n",
      "version: 1\n",
      "runner:\n",
      "runner:\n  # all commented out\n  # sleep_seconds: 3\ngit:\n  auto_commit: true\n",
      "runner:\n    sleep_seconds: 2.5   # four-space indent, a decimal\n    stop_after_runs: 4\n",
      "codex:\n  binary: codex\n  args:\n  - exec\n  - --json\n  - '-'\n",
      'codex:\n  args:\n    - exec\n    - "--json"\n  binary: my-codex\n',
      "my_tool: {}\n".replace("{}", "kept"),
      'version: 1\nrunner:\n  sleep_seconds: 9\nmy_key: kept\nmy_list: [a, "b c", 3]\n',
      "server:\n  host: localhost\n  auth_token: 'secret#1-long-enough'\n  port: 0\n",
      "git:\n  commit_message_template: '[codex] run #{run_id}'\n",
      "docs:\n  extras: []\n  custom: null\n",
      "runner:\n  no_progress_runs: null\n  max_total_tokens: 100000\n",
      setConfigValue(renderDefaultConfigYaml(), "runner.sleep_seconds", 7),
      setConfigValue(benchConfig, "codex.args", ["exec", "--json", "-"]),
      setConfigValue(benchConfig, "server.port", 8080),
      setConfigValue(benchConfig, "docs.extras", [
        { name: "spec", path: "docs/my spec.md" },
        { name: "notes", path: "notes.md", include_in_prompt: false, colour: "dark red" },
      ]),
      "docs:\n  extras:\n  - name: spec   # same indent as the key\n    path: docs/spec.md\n",
      "key: value with spaces\n",
      "codex:\n  binary: my agent\n  args:\n    - exec\n    - two words\n",
    ];
    for (const text of accepted) expect(expectAgrees(text), text).toBe(true);
  });

  it("declines anything it cannot vouch for, so parseConfig gives the result or the exact error", () => {
    const declined = [
      "runner:\n  sleep_seconds: -1\n",
      "runner:\n  max_retries: 1.5\n",
      "server:\n  port: 70000\n",
      "server:\n  auth_token: short-token\n",
      'server:\n  auth_token: "                    "\n',
      "git:\n  auto_commit: yes\n",
      'git:\n  auto_commit: "true"\n',
      "version: 2\n",
      "docs: 5\n",
      'docs:\n  todo: ""\n',
      "codex:\n  args: exec\n",
      "docs:\n  extras:\n    - name: 1spec\n      path: docs/spec.md\n",
      "docs:\n  extras:\n    - name: spec\n      path:\n",
      "docs:\n  extras:\n    - name: spec\n        path: x\n",
      "docs:\n  extras:\n    - name: spec\n    - x\n",
      "docs:\n  extras:\n    - {name: spec, path: x}\n",
      "docs:\n  extras:\n    - name: spec\n      path: a\n      path: b\n",
      "codex:\n  binary: run it: now\n",
      "codex:\n  binary: echo 'hi there'\n",
      "codex:\n  binary: yes please\n  args: [a b]\n",
      "docs:\n  extras: [{name: todo, path: x}]\n",
      "runner:\n\tsleep_seconds: 1\n",
      "runner:\n  sleep_seconds: 1\n   max_retries: 2\n",
      "runner:\n  sleep_seconds: 1\n  sleep_seconds: 2\n",
      "a: &x 1\nb: *x\n",
      "---\nversion: 1\n",
      "runner: {sleep_seconds: 1}\n",
      "prompt:\n  template: |\n    text\n",
      'key: "escaped \\n"\n',
      "key: value with spaces:\n",
      "key: 010\n",
      "key: 1_000\n",
      "key: NULL\n",
      "runner:\n  n: 1\n",
      "on: 1\n",
      "key: On\n",
      "- a\n- b\n",
      "__proto__: 1\n",
      "\uFEFFversion: 1\n",
      "version: 1\r\n",
    ];
    for (const text of declined) {
      expect(parseConfigFast(text), text).toBeNull();
      // The full parser still decides: valid ones parse, invalid ones throw its own error.
      full(text);
    }
  });

  it("agrees with parseConfig on generated configs (valid and invalid values)", () => {
    const scalarArb = fc.oneof(
      fc.integer({ min: -5, max: 70_000 }),
      fc.double({ min: -2, max: 10, noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom("codex", "a b", "yes", "x#y", "", "[codex] run #{run_id}", "0.5", "127.0.0.1"),
    );
    // Every key of the spec (a new key is fuzzed without touching this test), plus an unknown one.
    const keyNames = [...new Set(Object.values(CONFIG_SPEC).flatMap((s) => Object.keys(s.keys)))];
    const sectionArb = fc.dictionary(
      fc.constantFrom(...keyNames, "custom"),
      fc.oneof(scalarArb, fc.array(fc.constantFrom("exec", "--json", "-", "a b"), { maxLength: 3 })),
    );
    const configArb = fc.dictionary(
      fc.constantFrom(...Object.keys(CONFIG_SPEC), "version", "extra_key"),
      fc.oneof(sectionArb, scalarArb),
    );
    let acceptedCount = 0;
    fc.assert(
      fc.property(configArb, fc.boolean(), (cfg, flow) => {
        const text = dump(cfg, { lineWidth: -1, flowLevel: flow ? 2 : -1 });
        if (expectAgrees(text)) acceptedCount++;
      }),
      { numRuns: 400, seed: 20261125 },
    );
    expect(acceptedCount).toBeGreaterThan(5);
  });

  it("agrees with parseConfig on lists of mappings (docs.extras) as dump writes them", () => {
    const scalarArb = fc.oneof(
      fc.constantFrom("spec", "Notes", "todo", "1x", "", "docs/my spec.md", "n.md", "yes"),
      fc.boolean(),
      fc.integer({ min: 0, max: 3 }),
      fc.constant(null),
    );
    const itemArb = fc.record(
      {
        name: fc.oneof(fc.constantFrom("spec", "Notes", "my-doc"), scalarArb),
        path: fc.oneof(fc.constantFrom("docs/my spec.md", "n.md"), scalarArb),
        include_in_prompt: fc.oneof(fc.boolean(), scalarArb),
        colour: scalarArb,
      },
      { requiredKeys: [] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 3 }), fc.boolean(), (extras, seqNoIndent) => {
        const text = dump({ version: 1, docs: { extras } }, { lineWidth: -1, seqNoIndent });
        if (expectAgrees(text) && extras.length > 0) accepted++;
      }),
      { numRuns: 400, seed: 20261204 },
    );
    expect(accepted).toBeGreaterThan(10);
  });
});

describe("readYamlSubset", () => {
  it("agrees with js-yaml on generated files in every layout dump writes", () => {
    const word = fc.constantFrom(
      "pnpm",
      "test",
      "--filter",
      "x.md",
      "a/b",
      "-",
      "yes",
      "null",
      "1",
      "a:b",
      "#",
      "it's",
    );
    const scalar = fc.oneof(
      fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(" ")),
      fc.integer({ min: -5, max: 1000 }),
      fc.boolean(),
      fc.constant(null),
    );
    const item = fc.dictionary(fc.constantFrom("name", "run", "path", "n"), scalar, { minKeys: 1 });
    const leaf = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.array(item, { maxLength: 3 }));
    const doc = fc.dictionary(
      fc.constantFrom("docs", "verify", "top"),
      fc.oneof(scalar, fc.dictionary(fc.constantFrom("extras", "commands", "k"), leaf)),
    );
    let read = 0;
    fc.assert(
      fc.property(
        doc,
        fc.constantFrom(2, 4),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(-1, 2),
        (d, indent, seqNoIndent, seqInlineFirst, flowLevel) => {
          const text = dump(d, { indent, seqNoIndent, seqInlineFirst, flowLevel, lineWidth: -1 });
          const mine = readYamlSubset(text);
          if (mine === null) return;
          read++;
          expect(JSON.stringify(mine), text).toBe(
            JSON.stringify(load(text, { schema: YAML11_SCHEMA }) ?? {}),
          );
        },
      ),
      { numRuns: 600, seed: 20261204 },
    );
    expect(read).toBeGreaterThan(150);
  });

  it("reads what js-yaml reads, or declines", () => {
    const texts = [
      renderDefaultConfigYaml(),
      benchConfig,
      "a:\n  b: [1, 2.5, -3, x, 'y', \"z\"]   # c\n  c:\n  d: null\ne: true\n",
      "a:\n  list:\n  - 1\n  - two\n  other: false\n",
      "a: [ ]\nb: []\n",
      "a:\n  l:\n    - k: v w   # c\n      num: 1\n    - k: [x, 'y']\n  m: yes please\n",
      "a:\n  l:\n  - k: v\n  - k: w\n  o: 2\n",
    ];
    for (const text of texts) {
      const mine = readYamlSubset(text);
      expect(mine, text).not.toBeNull();
      expect(JSON.stringify(mine)).toBe(JSON.stringify(load(text, { schema: YAML11_SCHEMA }) ?? {}));
    }
  });
});
