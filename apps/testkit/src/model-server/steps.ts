import type {
  DropStep,
  FailedStep,
  HangStep,
  HttpErrorStep,
  ModelRequest,
  ReplyStep,
  ServedUsage,
} from "./types.js";

/** Builders so scripts read like what the model does. */
export function say(text: string, usage?: Partial<ServedUsage>): ReplyStep {
  return usage ? { type: "reply", text, usage } : { type: "reply", text };
}

export function runCommand(cmd: string | string[], usage?: Partial<ServedUsage>): ReplyStep {
  const exec = Array.isArray(cmd) ? cmd : [cmd];
  return usage ? { type: "reply", exec, usage } : { type: "reply", exec };
}

export function httpError(
  status = 500,
  message = "internal error",
  errorType = "server_error",
): HttpErrorStep {
  return { type: "http_error", status, message, errorType };
}

export function dropStream(partialText = "partial"): DropStep {
  return { type: "drop", partialText };
}

export function hang(afterCreated = false): HangStep {
  return { type: "hang", afterCreated };
}

export function responseFailed(code: string, message: string): FailedStep {
  return { type: "response_failed", code, message };
}

/** POSIX single-quoting for a shell word. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** Script helper: a shell call on a fresh prompt, a closing message once codex sent the output back. */
export function commandThenSay(
  cmd: string | ((req: ModelRequest) => string),
  text: string | ((req: ModelRequest) => string) = "Done.",
  usage?: { command?: Partial<ServedUsage>; message?: Partial<ServedUsage> },
): (req: ModelRequest) => ReplyStep {
  return (req) => {
    if (!req.isFollowUp) return runCommand(typeof cmd === "function" ? cmd(req) : cmd, usage?.command);
    return say(typeof text === "function" ? text(req) : text, usage?.message);
  };
}

/** First unchecked TODO item (`- [ ] text`) in a prompt, or null. */
export function firstOpenItem(prompt: string): string | null {
  return /^\s*[-*+] \[ \] (.+)$/m.exec(prompt)?.[1]?.trim() ?? null;
}

/** A node one-liner (run by codex's shell) ticking exactly the item with this text; exits 3 if absent. */
export function tickItemCommand(item: string, todoPath = ".codex-autorunner/TODO.md"): string {
  const js =
    `const f=require("fs"),p=${JSON.stringify(todoPath)},t=f.readFileSync(p,"utf8");` +
    `const o=${JSON.stringify(`- [ ] ${item}`)};if(!t.includes(o))process.exit(3);` +
    `f.writeFileSync(p,t.replace(o,${JSON.stringify(`- [x] ${item}`)}))`;
  return `${shQuote(process.execPath)} -e ${shQuote(js)}`;
}

/**
 * The model a user hopes for: on a fresh prompt it reads the first open TODO item from the prompt
 * and ticks it with a shell command; once codex sends back the command's output it reports
 * "Ticked: <item>" (or "Could not tick: <item>").
 */
export function tickingModel(
  opts: { todoPath?: string; usage?: (req: ModelRequest) => Partial<ServedUsage> } = {},
): (req: ModelRequest) => ReplyStep {
  return (req) => {
    const usage = opts.usage?.(req);
    const item = firstOpenItem(req.prompt);
    if (!req.isFollowUp) {
      if (item === null) return say("Nothing left to do.", usage);
      return runCommand(tickItemCommand(item, opts.todoPath), usage);
    }
    const ok = req.functionOutputs.at(-1)?.output.includes("exited with code 0") ?? false;
    return say(ok ? `Ticked: ${item ?? "?"}` : `Could not tick: ${item ?? "?"}`, usage);
  };
}
