// Sending one event to one target: a bounded time per attempt, a few attempts with backoff for
// failures that may pass (network errors, timeouts, 5xx, 408, 429), redirects never followed (the
// request may carry a token or a signature meant for the configured host). Never throws.
import { setTimeout as sleep } from "node:timers/promises";
import type { NotifyEvent } from "../../notify/event.js";
import { formatRequest } from "../../notify/format.js";
import { redact } from "../../notify/redact.js";
import type { ResolvedTarget } from "../../notify/resolve.js";
import { SIGNATURE_HEADER, signBody } from "./sign.js";

export interface DeliveryOptions {
  /** Per attempt, connection to last byte of the answer. Default 10 s. */
  timeoutMs?: number;
  /** Default 3. */
  attempts?: number;
  /** The wait before the second attempt; it doubles after each. Default 1 s. */
  backoffMs?: number;
  /** Abandons the delivery (the notifier was closed). */
  signal?: AbortSignal;
}

export interface DeliveryResult {
  label: string;
  event: NotifyEvent["event"];
  ok: boolean;
  /** The last answer's HTTP status; null when none came. */
  status: number | null;
  /** Why it failed (redacted, one line); null when it worked. */
  error: string | null;
  attempts: number;
  duration_ms: number;
  /** When it ended (ISO 8601). */
  at: string;
}

export const DELIVERY_DEFAULTS = { timeoutMs: 10_000, attempts: 3, backoffMs: 1_000 } as const;

/** How much of a refusal's answer goes into the error (Telegram explains itself there). */
const ANSWER_MAX_CHARS = 200;

interface Attempt {
  status: number | null;
  error: string | null;
  retry: boolean;
}

async function answerSnippet(res: Response): Promise<string> {
  try {
    const reader = res.body?.getReader();
    if (!reader) return "";
    let text = "";
    const decoder = new TextDecoder();
    while (text.length < ANSWER_MAX_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel().catch(() => {});
    return text.replace(/\s+/g, " ").trim().slice(0, ANSWER_MAX_CHARS);
  } catch {
    return "";
  }
}

function networkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
    if (err.name === "AbortError") return "abandoned (notifier closed)";
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}

async function attempt(
  url: string,
  init: { headers: Record<string, string>; body: Uint8Array },
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
  try {
    const res = await fetch(url, { method: "POST", ...init, redirect: "manual", signal });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { status: res.status, error: null, retry: false };
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      return { status: res.status, error: `HTTP ${res.status}: redirect not followed`, retry: false };
    }
    const snippet = await answerSnippet(res);
    const retry = res.status >= 500 || res.status === 408 || res.status === 429;
    return { status: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`, retry };
  } catch (err) {
    if (outer?.aborted) return { status: null, error: networkError(outer.reason, timeoutMs), retry: false };
    // A network failure (fetch's "fetch failed" with a cause) or a timeout may pass; a request fetch
    // refuses to build (a bad URL) will not.
    const transient = err instanceof Error && (err.name === "TimeoutError" || err.cause !== undefined);
    return { status: null, error: networkError(err, timeoutMs), retry: transient };
  }
}

export async function deliver(
  target: ResolvedTarget,
  event: NotifyEvent,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const { timeoutMs, attempts, backoffMs } = { ...DELIVERY_DEFAULTS, ...stripUndefined(options) };
  const started = Date.now();
  const result = (a: Attempt, n: number): DeliveryResult => ({
    label: target.label,
    event: event.event,
    ok: a.error === null,
    status: a.status,
    error:
      a.error === null
        ? null
        : redact(`${a.error}${n > 1 ? ` (${n} attempts)` : ""}`, target.secrets).replace(/[\r\n]+/g, " "),
    attempts: n,
    duration_ms: Date.now() - started,
    at: new Date().toISOString(),
  });
  let last: Attempt = { status: null, error: "not sent", retry: false };
  let n = 0;
  try {
    const req = formatRequest(target, event);
    const body = new TextEncoder().encode(req.body);
    const headers = { ...req.headers };
    if (target.type === "webhook" && target.secret !== null) {
      headers[SIGNATURE_HEADER] = await signBody(target.secret, body);
    }
    while (n < Math.max(1, attempts)) {
      if (n > 0) {
        await sleep(backoffMs * 2 ** (n - 1), undefined, { signal: options.signal });
      }
      n++;
      last = await attempt(req.url, { headers, body }, timeoutMs, options.signal);
      if (!last.retry) break;
    }
  } catch (err) {
    // An abort during the backoff, or a bug: reported like any failure, never thrown at the loop.
    const aborted = options.signal?.aborted ?? false;
    last = {
      status: last.status,
      // Keep why the attempts so far failed: "abandoned" alone would hide a refused connection.
      error: aborted
        ? n > 0 && last.error !== null
          ? `${last.error}; abandoned when the runner exited`
          : "abandoned (notifier closed)"
        : String(err),
      retry: false,
    };
  }
  return result(last, n);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
