import type {
  DropStep,
  FailedStep,
  HangStep,
  HttpErrorStep,
  ModelRequest,
  ModelStep,
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

/**
 * HTTP 429 without a reset time. codex 0.169 (request_max_retries=0) reports only "exceeded retry
 * limit, last status: 429 Too Many Requests": the body's message and a Retry-After header are dropped.
 */
export function rateLimited(headers?: Record<string, string>): HttpErrorStep {
  const step = httpError(429, "Rate limit reached. Please try again in 8s.", "rate_limit_exceeded");
  return headers ? { ...step, headers } : step;
}

/**
 * HTTP 429 `usage_limit_reached` (the ChatGPT plan limit). With `resetsAt` codex prints "You’ve hit
 * your usage limit. Try again at 11:33 PM." (local time, truncated to the minute), else "… Try again
 * later.". `resets_in_seconds` is ignored by codex 0.169, so only `resets_at` is sent.
 */
export function usageLimited(resetsAt?: Date): HttpErrorStep {
  const step = httpError(429, "The usage limit has been reached", "usage_limit_reached");
  if (resetsAt === undefined) return step;
  return { ...step, errorFields: { resets_at: Math.floor(resetsAt.getTime() / 1000) } };
}

/**
 * A rate limit that names its reset to the millisecond: the stream ends in `response.failed` with
 * `rate_limit_exceeded` (what the Responses API sends mid-stream); codex prints "rate limit exceeded:
 * Rate limit reached for gpt. Please try again in <s>s.".
 */
export function rateLimitedFor(seconds: number): FailedStep {
  return responseFailed(
    "rate_limit_exceeded",
    `Rate limit reached for gpt. Please try again in ${seconds}s.`,
  );
}

/** Script: the first `count` requests get `fault` (a 429, say); every later one goes to `then`. */
export function faultsThen(
  count: number,
  fault: ModelStep | ((req: ModelRequest, n: number) => ModelStep),
  then: (req: ModelRequest) => ModelStep | Promise<ModelStep>,
): (req: ModelRequest) => ModelStep | Promise<ModelStep> {
  let n = 0;
  return (req) => {
    if (n >= count) return then(req);
    n++;
    return typeof fault === "function" ? fault(req, n - 1) : fault;
  };
}

/**
 * Anthropic HTTP 429 `rate_limit_error`. With `resetsAt` the message names the reset as an ISO time;
 * claude 2.1.332 passes it on: "API Error: Request rejected (429) · usage limit reached; resets at …".
 */
export function anthropicRateLimited(resetsAt?: Date): HttpErrorStep {
  const message =
    resetsAt === undefined
      ? "Number of requests has exceeded your rate limit"
      : `usage limit reached; resets at ${resetsAt.toISOString().replace(/\.000Z$/, "Z")}`;
  return httpError(429, message, "rate_limit_error");
}

/** Anthropic HTTP 529 `overloaded_error` (claude: api_error_status 529, "server_error"). */
export function anthropicOverloaded(): HttpErrorStep {
  return httpError(529, "Overloaded", "overloaded_error");
}

/** Anthropic HTTP 401 `authentication_error` (claude: api_error_status 401, "authentication_failed"). */
export function anthropicUnauthorized(): HttpErrorStep {
  return httpError(401, "invalid x-api-key", "authentication_error");
}

/** A stream cut mid-way. claude 2.1.332 retries one drop by itself even with MAX_RETRIES=0. */
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

/** Script helper: a shell call on a fresh prompt, a closing message once the agent sent the output back. */
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

/**
 * Whether the agent reported its shell call as successful: claude's tool_result says so in
 * is_error; codex's output text carries "Process exited with code N".
 */
export function commandSucceeded(out: ModelRequest["functionOutputs"][number] | undefined): boolean {
  if (out === undefined) return false;
  if (out.isError !== undefined) return !out.isError;
  return out.output.includes("exited with code 0");
}

/** First unchecked TODO item (`- [ ] text`) in a prompt, or null. */
export function firstOpenItem(prompt: string): string | null {
  return /^\s*[-*+] \[ \] (.+)$/m.exec(prompt)?.[1]?.trim() ?? null;
}

/** A node one-liner (run by the agent's shell) ticking exactly the item with this text; exits 3 if absent. */
export function tickItemCommand(item: string, todoPath = ".codex-autorunner/TODO.md"): string {
  const js =
    `const f=require("fs"),p=${JSON.stringify(todoPath)},t=f.readFileSync(p,"utf8");` +
    `const o=${JSON.stringify(`- [ ] ${item}`)};if(!t.includes(o))process.exit(3);` +
    `f.writeFileSync(p,t.replace(o,${JSON.stringify(`- [x] ${item}`)}))`;
  return `${shQuote(process.execPath)} -e ${shQuote(js)}`;
}

/**
 * The model a user hopes for: on a fresh prompt it reads the first open TODO item from the prompt
 * and ticks it with a shell command; once the agent (codex or claude) sends back the command's
 * output it reports "Ticked: <item>" (or "Could not tick: <item>").
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
    const ok = commandSucceeded(req.functionOutputs.at(-1));
    return say(ok ? `Ticked: ${item ?? "?"}` : `Could not tick: ${item ?? "?"}`, usage);
  };
}
