/**
 * What the scripted model can do for one request, and what a test sees of each request. One script
 * serves two protocols: POST /v1/responses (OpenAI Responses, for codex-cli 0.169) and
 * POST /v1/messages (Anthropic Messages, for claude-code 2.1.332); both recorded by experiment.
 * Steps: assistant text, shell calls, usage, and faults.
 */

/**
 * Token usage a reply reports (Responses API names, flattened). On /v1/messages: input_tokens →
 * `input_tokens` (uncached input, Anthropic's meaning), cached_tokens → `cache_read_input_tokens`,
 * cache_creation_tokens → `cache_creation_input_tokens`, output_tokens → `output_tokens`,
 * reasoning_tokens → message_delta's `output_tokens_details.thinking_tokens` (claude 2.1.332 sums
 * it into result.usage; like Responses, it is part of output_tokens).
 */
export interface ServedUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** Anthropic only: tokens written to the prompt cache (default 0). */
  cache_creation_tokens?: number;
}

/** An assistant response: optional message text and/or shell calls codex will run. */
export interface ReplyStep {
  type: "reply";
  text?: string;
  /**
   * Each becomes a shell call the agent runs before asking again with the output: a function call
   * `exec_command {"cmd": …}` for codex, a `tool_use` block `Bash {command, description}` for claude.
   */
  exec?: string[];
  usage?: Partial<ServedUsage>;
  /** Wait this long before streaming (a slow model). */
  delayMs?: number;
}

/**
 * Answer with an HTTP error status and a JSON error body: `{error: {message, type, …errorFields}}`
 * on /v1/responses, `{type: "error", error: {type, message, …errorFields}}` on /v1/messages.
 */
export interface HttpErrorStep {
  type: "http_error";
  status: number;
  message?: string;
  /** The `error.type` field, e.g. "server_error", "rate_limit_exceeded", "usage_limit_reached". */
  errorType?: string;
  /** More fields of the `error` object, e.g. `{resets_at: <epoch s>}` for "usage_limit_reached". */
  errorFields?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Start the SSE stream, send some text, then cut the connection before the response completes. */
export interface DropStep {
  type: "drop";
  partialText?: string;
}

/** Accept the request and never answer (until the server closes). */
export interface HangStep {
  type: "hang";
  /** Send response.created / message_start first (a live stream that then stalls). Default false. */
  afterCreated?: boolean;
}

/**
 * A stream that ends in `response.failed` (e.g. code "server_is_overloaded" / "rate_limit_exceeded");
 * on /v1/messages an `error` event whose error.type is `code`.
 */
export interface FailedStep {
  type: "response_failed";
  code: string;
  message: string;
}

export type ModelStep = ReplyStep | HttpErrorStep | DropStep | HangStep | FailedStep;

/** Which protocol a request spoke: codex's Responses API or claude's Messages API. */
export type ModelApi = "responses" | "messages";

/** One request as the server received it. */
export interface ModelRequest {
  /** 0-based, in arrival order over the server's life. */
  index: number;
  /** "messages" for POST …/messages (claude), else "responses". */
  api: ModelApi;
  /** When the request arrived (ms since the epoch), for "not before the reset" checks. */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (null when not JSON). */
  body: ResponsesRequestBody | null;
  /** Raw body size in bytes. */
  bodyBytes: number;
  /**
   * The agent's session (header): codex's thread id, one per `codex exec` invocation; claude's
   * `x-claude-code-session-id`, one per `claude -p` invocation.
   */
  threadId: string | null;
  /**
   * The user's prompt: codex — text of the last user message that is not codex's own context block;
   * claude — text of the first user message without claude's `<system-reminder>` blocks.
   */
  prompt: string;
  /**
   * Outputs of the shell calls since the prompt, in order (what the agent sends back). `isError`
   * only on /v1/messages: the tool_result's is_error (claude's Bash sets it on a non-zero exit).
   */
  functionOutputs: Array<{ call_id: string; output: string; isError?: boolean }>;
  /** Whether this request continues a turn after tool calls (its input ends with tool output). */
  isFollowUp: boolean;
}

/** A request body of either protocol: `input` (Responses) or `messages` (Anthropic). */
export interface ResponsesRequestBody {
  model?: string;
  stream?: boolean;
  input?: Array<Record<string, unknown>>;
  messages?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** A script: steps used one per request in order, or a function deciding per request. */
export type ModelScript = ModelStep[] | ((request: ModelRequest) => ModelStep | Promise<ModelStep>);

export interface ModelServerOptions {
  script: ModelScript;
  /** When an array script runs out: this step (default: reply "Done." with default usage). */
  whenExhausted?: ModelStep;
  /** Usage for replies that do not say (default 1000 in, 0 cached, 50 out, 0 reasoning). */
  defaultUsage?: Partial<ServedUsage>;
}

export interface ModelServer {
  /** base_url for codex's provider config, ending in `/v1` (claude wants it without: claudeEnvFor). */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: ModelRequest[];
  /** The step answered to each request (same order as `requests`). */
  steps: ModelStep[];
  /**
   * Sum of the usage of every reply served, both protocols (what the agent should report in total).
   * Has `cache_creation_tokens` once a /v1/messages reply was served.
   */
  servedUsage(): ServedUsage;
  /** Requests still waiting for an answer (hangs, slow replies). */
  pending(): number;
  close(): Promise<void>;
}
