/**
 * What the scripted model can do for one POST /v1/responses, and what a test sees of each request.
 * Enough of the OpenAI Responses streaming protocol for codex-cli 0.169 (recorded by experiment):
 * assistant text, `exec_command` function calls, usage, and faults.
 */

/** Token usage the server reports in `response.completed` (Responses API names, flattened). */
export interface ServedUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

/** An assistant response: optional message text and/or shell calls codex will run. */
export interface ReplyStep {
  type: "reply";
  text?: string;
  /** Each becomes a function call `exec_command {"cmd": …}`; codex runs it and asks again with the output. */
  exec?: string[];
  usage?: Partial<ServedUsage>;
  /** Wait this long before streaming (a slow model). */
  delayMs?: number;
}

/** Answer with an HTTP error status and a JSON error body. */
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

/** Start the SSE stream, send some text, then cut the connection without response.completed. */
export interface DropStep {
  type: "drop";
  partialText?: string;
}

/** Accept the request and never answer (until the server closes). */
export interface HangStep {
  type: "hang";
  /** Send response.created first (so codex sees a live stream that then stalls). Default false. */
  afterCreated?: boolean;
}

/** A stream that ends in `response.failed` (e.g. code "server_is_overloaded" / "rate_limit_exceeded"). */
export interface FailedStep {
  type: "response_failed";
  code: string;
  message: string;
}

export type ModelStep = ReplyStep | HttpErrorStep | DropStep | HangStep | FailedStep;

/** One request as the server received it. */
export interface ModelRequest {
  /** 0-based, in arrival order over the server's life. */
  index: number;
  /** When the request arrived (ms since the epoch), for "not before the reset" checks. */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (null when not JSON). */
  body: ResponsesRequestBody | null;
  /** Raw body size in bytes. */
  bodyBytes: number;
  /** codex's thread id (header), one per `codex exec` invocation. */
  threadId: string | null;
  /** The user's prompt: text of the last user message that is not codex's own context block. */
  prompt: string;
  /** Outputs of the shell calls since the prompt, in order (what codex sends back). */
  functionOutputs: Array<{ call_id: string; output: string }>;
  /** Whether this request continues a turn after tool calls (its input ends with tool output). */
  isFollowUp: boolean;
}

export interface ResponsesRequestBody {
  model?: string;
  stream?: boolean;
  input?: Array<Record<string, unknown>>;
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
  /** base_url for codex's provider config, ending in `/v1`. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: ModelRequest[];
  /** The step answered to each request (same order as `requests`). */
  steps: ModelStep[];
  /** Sum of the usage of every response that completed (what codex should report in total). */
  servedUsage(): ServedUsage;
  /** Requests still waiting for an answer (hangs, slow replies). */
  pending(): number;
  close(): Promise<void>;
}
