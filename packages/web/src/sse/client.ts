/**
 * Event-stream client over fetch (not EventSource): it can send `Authorization` and `Last-Event-ID`
 * headers, see the HTTP status (so a 401 becomes "enter your token" instead of a silent retry loop),
 * and read POST responses (chat). Parsing and backoff live in the pure parser.ts / reconnect.ts.
 */
import { createSseParser, type SseEvent } from "./parser.js";
import { ReconnectPolicy, type StreamFailure } from "./reconnect.js";

export type StreamStatus =
  | "connecting"
  | "open"
  | "reconnecting"
  /** Gave up: 401/403. The user has to change the token. */
  | "unauthorized"
  /** Gave up for another reason a retry cannot fix (404, wrong content type). */
  | "failed"
  | "closed";

export interface EventStreamOptions {
  url: string;
  /** Called for every attempt so a token typed meanwhile is used by the next reconnect. */
  headers?: () => Record<string, string>;
  lastEventId?: string;
  onEvent(event: SseEvent): void;
  onStatus?(status: StreamStatus, detail: string): void;
  /** No bytes (events or `: ping` heartbeats) for this long means a dead connection: reconnect. */
  heartbeatTimeoutMs?: number;
  policy?: ReconnectPolicy;
  fetch?: typeof fetch;
}

export interface EventStreamHandle {
  close(): void;
  /** Drop the current connection (or the backoff wait) and connect again now, e.g. after a new token. */
  reconnectNow(): void;
  readonly lastEventId: string;
  readonly status: StreamStatus;
}

export function openEventStream(options: EventStreamOptions): EventStreamHandle {
  const policy = options.policy ?? new ReconnectPolicy();
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const heartbeatMs = options.heartbeatTimeoutMs ?? 45_000;
  let lastEventId = options.lastEventId ?? "";
  let status: StreamStatus = "connecting";
  let closed = false;
  let attemptAbort: AbortController | null = null;
  let wakeUp: (() => void) | null = null;
  let immediate = false;

  const setStatus = (next: StreamStatus, detail = "") => {
    status = next;
    options.onStatus?.(next, detail);
  };

  async function attempt(): Promise<StreamFailure | { kind: "fatal"; reason: string }> {
    const abort = new AbortController();
    attemptAbort = abort;
    immediate = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => abort.abort(), heartbeatMs);
    };
    try {
      const headers: Record<string, string> = { Accept: "text/event-stream", ...(options.headers?.() ?? {}) };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      arm();
      const res = await doFetch(options.url, { headers, signal: abort.signal, cache: "no-store" });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        return { kind: "http", status: res.status };
      }
      const type = res.headers.get("content-type") ?? "";
      if (!type.includes("text/event-stream") || !res.body) {
        await res.body?.cancel().catch(() => {});
        return { kind: "fatal", reason: `expected an event stream, got ${type || "no content type"}` };
      }
      policy.onOpen();
      setStatus("open");
      const parser = createSseParser(
        {
          onEvent: (ev) => {
            lastEventId = ev.id;
            options.onEvent(ev);
          },
          onRetry: (ms) => policy.onServerRetry(ms),
        },
        lastEventId,
      );
      await pumpText(res.body, (text) => {
        arm();
        parser.feed(text);
      });
      // Ids can arrive on events without data; keep the cursor the parser saw.
      lastEventId = parser.lastEventId;
      return { kind: "closed" };
    } catch {
      return { kind: "network" };
    } finally {
      clearTimeout(watchdog);
      if (attemptAbort === abort) attemptAbort = null;
    }
  }

  async function run(): Promise<void> {
    setStatus("connecting");
    while (!closed) {
      const failure = await attempt();
      if (closed) break;
      if (immediate) {
        immediate = false;
        setStatus("connecting");
        continue;
      }
      if (failure.kind === "fatal") {
        setStatus("failed", failure.reason);
        return;
      }
      const decision = policy.next(failure);
      if (!decision.retry) {
        const unauthorized = failure.kind === "http" && (failure.status === 401 || failure.status === 403);
        setStatus(unauthorized ? "unauthorized" : "failed", decision.reason);
        return;
      }
      setStatus("reconnecting", `retrying in ${Math.ceil(decision.delayMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, decision.delayMs);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });
    }
  }

  let running = run();

  return {
    close() {
      if (closed) return;
      closed = true;
      attemptAbort?.abort();
      wakeUp?.();
      setStatus("closed");
    },
    reconnectNow() {
      if (closed) return;
      policy.onOpen();
      immediate = true;
      if (attemptAbort || wakeUp) {
        // The loop is alive: cut the connection or the wait short.
        attemptAbort?.abort();
        wakeUp?.();
      } else {
        // The loop gave up (401 etc.): start it again.
        immediate = false;
        running = running.then(run);
      }
    },
    get lastEventId() {
      return lastEventId;
    },
    get status() {
      return status;
    },
  };
}

/** Read a byte stream as UTF-8 text chunks (multi-byte characters split across chunks are kept whole). */
export async function pumpText(
  body: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text) onText(text);
    }
    const rest = decoder.decode();
    if (rest) onText(rest);
  } finally {
    reader.releaseLock();
  }
}
