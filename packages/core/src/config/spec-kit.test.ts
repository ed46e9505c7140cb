// The spec kit on a spec shaped like the keys coming next (enums, lists of objects, lists of tagged
// objects, a commented-out section): each consumer (zod schema, fast check, starter, docs, JSON Schema,
// unknown keys, types) derives the right thing from one entry per key.
import fc from "fast-check";
import { load } from "js-yaml";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { deepMerge } from "./merge.js";
import { renderConfigReference } from "./reference.js";
import { buildConfigSchema } from "./schema.js";
import { CONFIG_SPEC } from "./spec.js";
import { checkConfigFast } from "./spec-check.js";
import { defaultsOf, unknownKeys } from "./spec-read.js";
import type { ConfigOf, ConfigSpec, KeySpec, KeysSpec } from "./spec-types.js";
import { renderStarterConfig } from "./starter.js";

const name = { type: "string", pattern: /^[a-z][a-z0-9-]*$/, reserved: ["all"], doc: "its name" } as const;

const SPEC = {
  runner: {
    doc: "The loop.",
    keys: {
      agent: {
        type: "enum",
        values: ["codex", "claude"],
        default: "codex",
        doc: "the agent",
        hint: "or claude",
      },
      fallback_agent: {
        type: "enum",
        values: ["codex", "claude"],
        nullable: true,
        default: null,
        doc: "next",
      },
      limit_wait_seconds: { type: "number", gt: 0, max: 86_400, default: 300, doc: "wait" },
    },
  },
  verify: {
    doc: "Checks after each run.",
    hint: "Commands that check each run's work.",
    keys: {
      commands: {
        type: "object-list",
        item: {
          name,
          run: { type: "string", doc: "shell command" },
          timeout_seconds: { type: "number", gt: 0, default: 600, doc: "kill after" },
        },
        unique: "name",
        default: [],
        doc: "the commands",
        hint: "Run in order",
        example: [{ name: "test", run: "pnpm test", timeout_seconds: 600 }],
      },
      on_fail: { type: "enum", values: ["stop", "continue", "retry"], default: "stop", doc: "then" },
    },
  },
  notify: {
    doc: "Notifications.",
    keys: {
      targets: {
        type: "object-list",
        tag: "type",
        variants: {
          command: { name, run: { type: "string", doc: "shell command" } },
          webhook: {
            name,
            url: { type: "string", doc: "POSTed to" },
            retries: { type: "int", min: 0, default: 2, doc: "retries" },
          },
        },
        unique: "name",
        default: [],
        doc: "where to send events",
      },
    },
  },
  claude: {
    doc: "The Claude agent.",
    keys: {
      binary: { type: "string", default: "claude", doc: "program", commented: true },
      args: { type: "string-list", default: ["-p"], doc: "its args", commented: true },
    },
  },
} as const satisfies ConfigSpec;

type Cfg = ConfigOf<typeof SPEC>;
const schema = buildConfigSchema(SPEC);

/** The error messages zod gives for one section's value, as "path: expected". */
function errors(section: string, value: unknown): string[] {
  const r = schema.safeParse({ [section]: value });
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("a config spec", () => {
  it("types what the parser returns: enums as unions, tagged list items narrowed by their tag", () => {
    expectTypeOf<Cfg["runner"]["agent"]>().toEqualTypeOf<"codex" | "claude">();
    expectTypeOf<Cfg["runner"]["fallback_agent"]>().toEqualTypeOf<"codex" | "claude" | null>();
    expectTypeOf<Cfg["verify"]["commands"][number]["timeout_seconds"]>().toEqualTypeOf<number>();
    expectTypeOf<Cfg["claude"]["args"]>().toEqualTypeOf<string[]>();
    const target = {} as Cfg["notify"]["targets"][number];
    if (target.type === "webhook") expectTypeOf(target.url).toEqualTypeOf<string>();
    expectTypeOf<Cfg["version"]>().toEqualTypeOf<1>();
  });

  it("builds a zod schema whose defaults are the spec's, in spec order", () => {
    expect(JSON.stringify(schema.parse({}))).toBe(JSON.stringify(defaultsOf(SPEC)));
    const { verify, notify } = schema.parse({
      verify: { commands: [{ name: "test", run: "pnpm test", colour: "red" }] },
      notify: { targets: [{ url: "http://x", type: "webhook", name: "hook" }] },
    }) as Cfg;
    // Defaults filled, spec keys first, unknown keys kept after them.
    expect(JSON.stringify(verify.commands)).toBe(
      '[{"name":"test","run":"pnpm test","timeout_seconds":600,"colour":"red"}]',
    );
    expect(JSON.stringify(notify.targets)).toBe(
      '[{"type":"webhook","name":"hook","url":"http://x","retries":2}]',
    );
  });

  it("reports each rule with its expected phrase at the exact path", () => {
    expect(errors("runner", { agent: "gpt" })).toEqual(["runner.agent: one of codex, claude"]);
    expect(errors("runner", { fallback_agent: 3 })).toEqual([
      "runner.fallback_agent: one of codex, claude or null",
    ]);
    expect(errors("runner", { limit_wait_seconds: 1e6 })).toEqual([
      "runner.limit_wait_seconds: a number > 0 and ≤ 86400",
    ]);
    expect(errors("verify", { commands: [{ name: "test" }] })).toEqual([
      "verify.commands.0.run: a non-empty string",
    ]);
    expect(errors("verify", { commands: "pnpm test" })).toEqual([
      "verify.commands: a list of {name, run, timeout_seconds}",
    ]);
    expect(errors("verify", { commands: [5] })).toEqual(["verify.commands.0: a mapping with name and run"]);
    expect(errors("verify", { commands: [{ name: "ALL", run: "x" }] })).toEqual([
      "verify.commands.0.name: a string matching ^[a-z][a-z0-9-]*$",
    ]);
    expect(errors("verify", { commands: [{ name: "all", run: "x" }] })).toEqual([
      "verify.commands.0.name: a name other than all",
    ]);
    expect(
      errors("verify", {
        commands: [
          { name: "a", run: "x" },
          { name: "b", run: "y" },
          { name: "a", run: "z" },
        ],
      }),
    ).toEqual([
      "verify.commands.2.name: a name not already used by verify.commands[0] (names are case-insensitive)",
    ]);
    expect(errors("notify", { targets: [{ type: "email", name: "x" }] })).toEqual([
      "notify.targets.0.type: one of command, webhook",
    ]);
    expect(errors("notify", { targets: [{ type: "webhook", name: "x" }] })).toEqual([
      "notify.targets.0.url: a non-empty string",
    ]);
    expect(errors("notify", { targets: ["x"] })).toEqual([
      "notify.targets.0: a mapping with type command or webhook",
    ]);
  });

  it("the fast check accepts exactly what the zod schema accepts, with the same output", () => {
    const scalar = fc.oneof(
      fc.constantFrom("codex", "claude", "stop", "retry", "webhook", "command", "a", "all", "A", "", "x y"),
      fc.integer({ min: -2, max: 100_000 }),
      fc.double({ min: -1, max: 100_000, noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const item = fc.dictionary(
      fc.constantFrom("name", "run", "url", "type", "retries", "timeout_seconds", "x"),
      scalar,
    );
    const value = fc.oneof(
      scalar,
      fc.array(item, { maxLength: 3 }),
      fc.array(fc.constantFrom("a", "-p"), { maxLength: 2 }),
    );
    const keys = Object.values(SPEC).flatMap((s) => Object.keys(s.keys));
    const section = fc.dictionary(fc.constantFrom(...keys, "custom"), value);
    const config = fc.dictionary(fc.constantFrom(...Object.keys(SPEC), "extra"), fc.oneof(section, scalar));
    let accepted = 0;
    let lists = 0;
    fc.assert(
      fc.property(config, (file) => {
        const merged = deepMerge(defaultsOf(SPEC), file);
        const fast = checkConfigFast(SPEC, merged);
        const full = schema.safeParse(merged);
        expect(fast !== null, JSON.stringify(file)).toBe(full.success);
        if (fast === null || !full.success) return;
        expect(JSON.stringify(fast)).toBe(JSON.stringify(full.data));
        accepted++;
        if (JSON.stringify(fast).includes('"name":')) lists++;
      }),
      { numRuns: 1500, seed: 20261204 },
    );
    expect(accepted).toBeGreaterThan(50);
    expect(lists).toBeGreaterThan(3);
  });

  it("renders a starter that parses back to the defaults, with hints, examples and commented keys", () => {
    const text = renderStarterConfig(SPEC, { schema: "./config.schema.json" });
    const lines = text.split("\n");
    expect(lines[0]).toBe("# yaml-language-server: $schema=./config.schema.json");
    // A section whose keys are all commented out is YAML null, which parseConfig reads as {}.
    const loaded = load(text) as Record<string, unknown>;
    expect(loaded.claude).toBeNull();
    expect(schema.parse({ ...loaded, claude: {} })).toEqual(defaultsOf(SPEC));
    expect(lines).toContain('  agent: "codex"  # or claude');
    expect(lines).toContain("# Commands that check each run's work.");
    expect(text).toContain(
      "  # Run in order, e.g.\n  #   - {name: test, run: pnpm test, timeout_seconds: 600}\n  commands: []\n",
    );
    expect(lines).toContain('  # binary: "claude"');
    expect(lines).toContain('  # args: ["-p"]');
  });

  it("renders reference rows for list items, variants included", () => {
    const doc = renderConfigReference(SPEC);
    expect(doc).toContain(
      "| `verify.commands[].name` | required | a string matching ^[a-z][a-z0-9-]*$ | its name |",
    );
    expect(doc).toContain("| `verify.commands[].timeout_seconds` | `600` | a number > 0 | kill after |");
    expect(doc).toContain("| `notify.targets[].type` | required | one of command, webhook |");
    expect(doc).toContain(
      "| `notify.targets[].url` | required | a non-empty string | (type webhook) POSTed to |",
    );
    expect(doc).toContain("| `runner.fallback_agent` | `null` | one of codex, claude or null | next |");
  });

  it("gives editors enums, tagged variants and descriptions in the JSON Schema", () => {
    const json = JSON.stringify(z.toJSONSchema(schema, { io: "input", target: "draft-7" }));
    expect(json).toContain('"enum":["stop","continue","retry"]');
    expect(json).toContain('"const":"webhook"');
    expect(json).toContain('"description":"where to send events"');
  });

  it("lists unknown keys inside list items by their variant", () => {
    const raw = {
      verify: { commands: [{ name: "a", run: "x", colour: 1 }], when: 1 },
      notify: {
        targets: [
          { type: "webhook", name: "h", url: "u", run: "x" },
          { type: "command", run: "y" },
        ],
      },
      elsewhere: true,
    };
    expect(unknownKeys(SPEC, raw)).toEqual([
      "verify.commands[0].colour",
      "verify.when",
      "notify.targets[0].run",
      "elsewhere",
    ]);
  });
});

/** Mistakes the types cannot catch, in a spec's entries; "" when the entry is well formed. */
function entryProblem(key: KeySpec, inSection: boolean): string {
  if (inSection && key.default === undefined) return "a section key needs a default";
  if (key.doc.trim() === "" || key.doc.includes("\n")) return "doc must be one line";
  if (key.type === "string" && key.pattern && /[gy]/.test(key.pattern.flags))
    return "pattern with g/y keeps state";
  if (key.type === "string" && key.reserved?.some((r) => r !== r.toLowerCase()))
    return "reserved must be lowercase";
  if (
    key.type === "object-list" &&
    (key.item === undefined) === (key.variants === undefined || key.tag === undefined)
  )
    return "an object list has either item, or tag and variants";
  return "";
}

function problems(keys: KeysSpec, path: string, inSection: boolean): string[] {
  return Object.entries(keys).flatMap(([name, key]) => {
    const own = entryProblem(key, inSection);
    const nested =
      key.type !== "object-list"
        ? []
        : [key.item ?? {}, ...Object.values(key.variants ?? {})].flatMap((k) =>
            problems(k, `${path}${name}[].`, false),
          );
    return [...(own ? [`${path}${name}: ${own}`] : []), ...nested];
  });
}

describe("CONFIG_SPEC", () => {
  it("follows the kit's rules (every section key has a default, one-line docs, ...)", () => {
    expect(Object.entries(CONFIG_SPEC).flatMap(([name, s]) => problems(s.keys, `${name}.`, true))).toEqual(
      [],
    );
    expect(Object.entries(SPEC).flatMap(([name, s]) => problems(s.keys, `${name}.`, true))).toEqual([]);
    const broken = { x: { doc: "x", keys: { a: { type: "int", doc: "a" } } } } as const satisfies ConfigSpec;
    expect(Object.entries(broken).flatMap(([name, s]) => problems(s.keys, `${name}.`, true))).toEqual([
      "x.a: a section key needs a default",
    ]);
  });
});
