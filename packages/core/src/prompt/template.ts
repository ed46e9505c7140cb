import { CarError } from "../errors.js";
import { NEEDS_INPUT_INSTRUCTION } from "../steer/needs-input.js";
import { type VerifyFailure, verifyPlaceholderValue } from "../verify/prompt.js";

/**
 * The prompt each run sends to the agent. Same structure as the original tool's prompt (role, the
 * three docs in tagged blocks with their paths, previous output, instructions), our own wording.
 * A user `prompt.txt` replaces it; placeholders are `{{NAME}}` (spaces inside the braces allowed).
 */
export const PROMPT_PLACEHOLDERS = [
  "TODO",
  "PROGRESS",
  "OPINIONS",
  "PREV_RUN_OUTPUT",
  "TODO_PATH",
  "PROGRESS_PATH",
  "OPINIONS_PATH",
  "EXTRAS",
  /** The `<VERIFY_FAILED>` block after a failed verification (and a blank line), else "". */
  "VERIFY",
  /** The `<STEERING>` block with the developer's messages for this run (and a blank line), else "". */
  "STEERING",
] as const;
export type PromptPlaceholder = (typeof PROMPT_PLACEHOLDERS)[number];

export const DEFAULT_PROMPT_TEMPLATE = `You are an autonomous coding agent working in this repository. You are run again and again by
codex-autorunner; three documents drive your work and carry it from one run to the next.

TODO ({{TODO_PATH}}) - the checklist to work through:
<TODO>
{{TODO}}
</TODO>

PROGRESS ({{PROGRESS_PATH}}) - what earlier runs did and learnt:
<PROGRESS>
{{PROGRESS}}
</PROGRESS>

OPINIONS ({{OPINIONS_PATH}}) - the project's conventions and preferences:
<OPINIONS>
{{OPINIONS}}
</OPINIONS>

{{EXTRAS}}{{VERIFY}}What the previous run printed (its tail; empty on the first run):
<PREV_RUN_OUTPUT>
{{PREV_RUN_OUTPUT}}
</PREV_RUN_OUTPUT>

{{STEERING}}How to work:
1. Go through TODO from top to bottom: take the first unchecked item ("- [ ]") and finish it before
   anything else. If it is too big for one run, do a solid part of it and split the rest into new
   unchecked items right below it.
2. Make real changes to the code in this repository: edit files and run the build and tests. Do
   not merely describe what should be done.
3. Keep changes small and tested; leave the repository building and its tests passing.
4. When an item is done, tick it in {{TODO_PATH}} ("- [x]"). Add newly found work as unchecked items.
5. Append a short dated note to {{PROGRESS_PATH}}: what you changed, what you verified, what is left.
6. Follow {{OPINIONS_PATH}}; where it conflicts with your own preferences, it wins.
7. Never edit the runner's own files in .codex-autorunner/ (state.json, lock, the log, runs/).
8. End with a short summary of what you did and what should come next.
9. ${NEEDS_INPUT_INSTRUCTION}
`;

const PLACEHOLDER_RE = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/g;

/** Placeholder names in `template` that are not in PROMPT_PLACEHOLDERS, each once, in order. */
export function findUnknownPlaceholders(template: string): string[] {
  const known = new Set<string>(PROMPT_PLACEHOLDERS);
  const unknown: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const name = m[1]!;
    if (!known.has(name) && !unknown.includes(name)) unknown.push(name);
  }
  return unknown;
}

/**
 * Replace `{{NAME}}` with `values[NAME]` in ONE pass over the template: inserted values are never
 * scanned again, so a doc that contains `{{TODO}}` comes out as written. Names without a value are
 * left as they are.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name]! : whole,
  );
}

function usesPlaceholder(template: string, name: PromptPlaceholder): boolean {
  for (const m of template.matchAll(PLACEHOLDER_RE)) if (m[1] === name) return true;
  return false;
}

export interface PromptDoc {
  path: string;
  content: string;
}

export interface PromptExtra extends PromptDoc {
  name: string;
  /** Defaults to true; false keeps the doc out of the prompt. */
  include_in_prompt?: boolean;
}

export interface PromptInput {
  /** A user template (prompt.txt); null/undefined means DEFAULT_PROMPT_TEMPLATE. */
  template?: string | null;
  /** Where the template came from, for errors. */
  templateFile?: string;
  todo: PromptDoc;
  progress: PromptDoc;
  opinions: PromptDoc;
  extras: PromptExtra[];
  prevRunOutput: string;
  /** The previous verification's failure (verify/prompt.ts), when the next run must hear of it. */
  verify?: VerifyFailure | null;
  /** The `<STEERING>` block (steer/prompt.ts renderSteering), "" or absent when there is none. */
  steering?: string;
}

/** Docs usually end with a newline; the block's closing tag goes on the next line anyway. */
function body(content: string): string {
  return content.replace(/(?:\r?\n)+$/, "");
}

/** Extra docs as `NAME (path)` + `<NAME>…</NAME>` blocks (tag = the name upper-cased), each followed by
 * a blank line; "" when there are none. */
function renderExtras(extras: readonly PromptExtra[]): string {
  return extras
    .filter((x) => x.include_in_prompt !== false)
    .map((x) => {
      const tag = x.name.toUpperCase();
      return `${tag} (${x.path}):\n<${tag}>\n${body(x.content)}\n</${tag}>\n\n`;
    })
    .join("");
}

export function buildPrompt(input: PromptInput): string {
  const template = input.template ?? DEFAULT_PROMPT_TEMPLATE;
  const file = input.templateFile;
  const where = file ? `${file}: ` : "prompt template: ";
  if (template.trim() === "") {
    throw new CarError("TEMPLATE_INVALID", `${where}the template is empty`, { file });
  }
  const unknown = findUnknownPlaceholders(template);
  if (unknown.length > 0) {
    const first = unknown[0]!;
    const hint = (PROMPT_PLACEHOLDERS as readonly string[]).includes(first.toUpperCase())
      ? ` (did you mean {{${first.toUpperCase()}}}?)`
      : "";
    throw new CarError(
      "TEMPLATE_INVALID",
      `${where}unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(", ")}${hint}; known: ${PROMPT_PLACEHOLDERS.map(
        (p) => `{{${p}}}`,
      ).join(", ")}`,
      { file, placeholder: first, placeholders: unknown },
    );
  }
  const values: Record<PromptPlaceholder, string> = {
    TODO: body(input.todo.content),
    PROGRESS: body(input.progress.content),
    OPINIONS: body(input.opinions.content),
    PREV_RUN_OUTPUT: body(input.prevRunOutput),
    TODO_PATH: input.todo.path,
    PROGRESS_PATH: input.progress.path,
    OPINIONS_PATH: input.opinions.path,
    EXTRAS: renderExtras(input.extras),
    VERIFY: verifyPlaceholderValue(input.verify ?? null),
    STEERING: input.steering ?? "",
  };
  const prompt = renderTemplate(template, values);
  // A message marked delivered must have reached the agent: a template without the placeholder
  // gets the block at its end.
  if (values.STEERING !== "" && !usesPlaceholder(template, "STEERING")) {
    return `${prompt.replace(/\s*$/, "\n\n")}${values.STEERING.replace(/\n+$/, "\n")}`;
  }
  return prompt;
}

export interface ChatPromptInput {
  message: string;
  todo?: PromptDoc | null;
  progress?: PromptDoc | null;
  opinions?: PromptDoc | null;
}

/** Prompt for a one-off question about the repo: context docs read-only, answer only, no edits. */
export function buildChatPrompt(input: ChatPromptInput): string {
  if (input.message.trim() === "") {
    throw new CarError("INVALID_ARGUMENT", "the chat message is empty");
  }
  const blocks: Array<[string, PromptDoc | null | undefined]> = [
    ["TODO", input.todo],
    ["PROGRESS", input.progress],
    ["OPINIONS", input.opinions],
  ];
  let docs = "";
  for (const [tag, doc] of blocks) {
    if (doc) docs += `${tag} (${doc.path}):\n<${tag}>\n${body(doc.content)}\n</${tag}>\n\n`;
  }
  return `You are answering a question about this repository for its developer, who runs an autonomous
coding agent on it with codex-autorunner. The documents below are context only.

${docs}The developer's message:
<USER_MESSAGE>
${body(input.message)}
</USER_MESSAGE>

Answer the message directly and concisely. You may read files and run read-only commands to find the
answer, but do not create, edit or delete any file and do not change git state: this is a
conversation, not a work run.
`;
}
