import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEEDS_INPUT_INSTRUCTION } from "../steer/needs-input.js";
import { renderSteering } from "../steer/prompt.js";
import { carError } from "../testing/car-error.js";
import {
  buildChatPrompt,
  buildPrompt,
  DEFAULT_PROMPT_TEMPLATE,
  findUnknownPlaceholders,
  PROMPT_PLACEHOLDERS,
  type PromptInput,
  renderTemplate,
} from "./template.js";

const input = (over: Partial<PromptInput> = {}): PromptInput => ({
  todo: { path: ".codex-autorunner/TODO.md", content: "- [ ] first\n- [x] done\n" },
  progress: { path: ".codex-autorunner/PROGRESS.md", content: "run 1: set up\n" },
  opinions: { path: "docs/OPINIONS.md", content: "Prefer small files.\n" },
  extras: [],
  prevRunOutput: "previous output line",
  ...over,
});

describe("default template", () => {
  it("uses only known placeholders, and all of them", () => {
    expect(findUnknownPlaceholders(DEFAULT_PROMPT_TEMPLATE)).toEqual([]);
    for (const p of PROMPT_PLACEHOLDERS) expect(DEFAULT_PROMPT_TEMPLATE).toContain(`{{${p}}}`);
  });

  it("renders the docs in tagged blocks with their paths and the previous output", () => {
    const prompt = buildPrompt(input());
    expect(prompt).toContain("TODO (.codex-autorunner/TODO.md)");
    expect(prompt).toContain("<TODO>\n- [ ] first\n- [x] done\n</TODO>");
    expect(prompt).toContain("<PROGRESS>\nrun 1: set up\n</PROGRESS>");
    expect(prompt).toContain("OPINIONS (docs/OPINIONS.md)");
    expect(prompt).toContain("<OPINIONS>\nPrefer small files.\n</OPINIONS>");
    expect(prompt).toContain("<PREV_RUN_OUTPUT>\nprevious output line\n</PREV_RUN_OUTPUT>");
    expect(prompt).toMatch(/first unchecked item/);
    expect(prompt).toContain("state.json");
    expect(prompt).not.toMatch(/\{\{/);
  });

  it("renders included extras as <NAME> blocks with their path, skipping excluded ones", () => {
    const prompt = buildPrompt(
      input({
        extras: [
          { name: "spec", path: "docs/spec.md", content: "The spec.\n" },
          { name: "secret", path: "s.md", content: "hidden", include_in_prompt: false },
        ],
      }),
    );
    expect(prompt).toContain("SPEC (docs/spec.md):\n<SPEC>\nThe spec.\n</SPEC>\n\n");
    expect(prompt).not.toContain("hidden");
    expect(prompt.indexOf("<SPEC>")).toBeLessThan(prompt.indexOf("<PREV_RUN_OUTPUT>"));
  });
});

describe("user templates", () => {
  it("substitutes every placeholder, with spaces inside braces allowed", () => {
    const t =
      "{{TODO_PATH}}|{{ TODO }}|{{PROGRESS_PATH}}|{{PROGRESS}}|{{OPINIONS_PATH}}|{{OPINIONS}}|{{PREV_RUN_OUTPUT}}|{{EXTRAS}}";
    expect(buildPrompt(input({ template: t }))).toBe(
      ".codex-autorunner/TODO.md|- [ ] first\n- [x] done|.codex-autorunner/PROGRESS.md|run 1: set up|docs/OPINIONS.md|Prefer small files.|previous output line|",
    );
  });

  it("refuses unknown placeholders naming them and the file", () => {
    const err = carError(() =>
      buildPrompt(
        input({ template: "{{todo}} {{NOPE}} {{NOPE}}", templateFile: ".codex-autorunner/prompt.txt" }),
      ),
    );
    expect(err.code).toBe("TEMPLATE_INVALID");
    expect(err.details).toMatchObject({
      file: ".codex-autorunner/prompt.txt",
      placeholder: "todo",
      placeholders: ["todo", "NOPE"],
    });
    expect(err.message).toContain("{{todo}}, {{NOPE}}");
    expect(err.message).toContain("did you mean {{TODO}}");
    expect(carError(() => buildPrompt(input({ template: " \n" }))).code).toBe("TEMPLATE_INVALID");
  });

  it("leaves non-identifier braces alone", () => {
    expect(findUnknownPlaceholders('{{"json": 1}} {{}} { {TODO} }')).toEqual([]);
  });

  it("a doc containing placeholders is inserted literally (single pass)", () => {
    const prompt = buildPrompt(
      input({ todo: { path: "T.md", content: "- [ ] write {{PROGRESS}} and {{ TODO_PATH }} docs" } }),
    );
    expect(prompt).toContain("- [ ] write {{PROGRESS}} and {{ TODO_PATH }} docs");
  });
});

describe("renderTemplate", () => {
  it("is single-pass for any values (property)", () => {
    const names = [...PROMPT_PLACEHOLDERS];
    const piece = fc.oneof(
      fc.constantFrom(...names).map((n) => `{{${n}}}`),
      fc.string({ maxLength: 6 }),
    );
    const value = fc.array(piece, { maxLength: 4 }).map((a) => a.join(""));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 6 }),
        fc.array(
          fc.string({ maxLength: 5 }).filter((s) => !s.includes("{") && !s.includes("}")),
          {
            minLength: 7,
            maxLength: 7,
          },
        ),
        fc.dictionary(fc.constantFrom(...names), value),
        (order, seps, partial) => {
          const values = Object.fromEntries(names.map((n) => [n, partial[n] ?? ""]));
          const template = order.map((n, i) => `${seps[i]}{{${n}}}`).join("") + seps[6];
          const expected = order.map((n, i) => `${seps[i]}${values[n]}`).join("") + seps[6];
          expect(renderTemplate(template, values)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps placeholders without a value and special replacement patterns literal", () => {
    expect(renderTemplate("{{A}} {{B}}", { A: "$& $1 $$" })).toBe("$& $1 $$ {{B}}");
  });
});

describe("buildChatPrompt", () => {
  it("wraps the message and includes given docs as read-only context", () => {
    const prompt = buildChatPrompt({
      message: "What is left?\n",
      todo: { path: "T.md", content: "- [ ] x\n" },
    });
    expect(prompt).toContain("<USER_MESSAGE>\nWhat is left?\n</USER_MESSAGE>");
    expect(prompt).toContain("TODO (T.md):\n<TODO>\n- [ ] x\n</TODO>");
    expect(prompt).not.toContain("<PROGRESS>");
    expect(prompt).toMatch(/do not create, edit or delete any file/);
  });

  it("rejects an empty message", () => {
    expect(carError(() => buildChatPrompt({ message: "  " })).code).toBe("INVALID_ARGUMENT");
  });
});

describe("steering and needs-input", () => {
  const block = renderSteering([
    { id: "1764886291123-1-abcdef", text: "use tabs", created_at: "2026-12-04T10:00:00Z" },
  ]);

  it("puts the <STEERING> block before the instructions, and nothing when there is none", () => {
    const prompt = buildPrompt(input({ steering: block }));
    expect(prompt).toContain("<STEERING>");
    expect(prompt.indexOf("</STEERING>")).toBeLessThan(prompt.indexOf("How to work:"));
    expect(prompt.indexOf("<STEERING>")).toBeGreaterThan(prompt.indexOf("</PREV_RUN_OUTPUT>"));
    expect(buildPrompt(input())).not.toContain("</STEERING>");
  });

  it("tells the agent how to ask for a decision", () => {
    expect(buildPrompt(input())).toContain(NEEDS_INPUT_INSTRUCTION);
  });

  it("appends the block to a user template without {{STEERING}} (a delivered message is never dropped)", () => {
    const prompt = buildPrompt(input({ template: "Do {{TODO}}\n", steering: block }));
    expect(prompt.startsWith("Do - [ ] first")).toBe(true);
    expect(prompt.trimEnd().endsWith("</STEERING>")).toBe(true);
    expect(buildPrompt(input({ template: "A {{STEERING}}B", steering: block }))).toBe(`A ${block}B`);
  });
});
