import { ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";

/**
 * A server-sent-events response with backpressure and one cleanup path. It closes (and runs
 * `onClose` exactly once) when the client goes away (body cancelled, request aborted or socket
 * closed), when the app shuts down, when the server ends it, or when the client stops reading: more
 * than `maxQueuedBytes` unread at two heartbeats in a row with nothing taken in between
 * (`checkBacklog`), or more than `hardLimitBytes` at any time. Such a client is dropped and reconnects
 * with `Last-Event-ID` (a replay is paced by the client's reading), instead of the server buffering
 * without bound. A client that keeps reading survives bursts (a follower batch of long lines).
 * Frames shared by all subscribers are encoded once (`sendBytes`), so queued data is shared too.
 *
 * Two sinks behind one writer: under @hono/node-server (a Node `ServerResponse` in `c.env.outgoing`)
 * frames go straight to the response, since a web `ReadableStream` per subscriber pumped into it cost
 * ~25 % of the server's time with 100 subscribers; elsewhere (`app.request()`) the body is a web stream.
 */
const encoder = new TextEncoder();
const HIGH_WATER_MARK = 64 * 1024;

export interface SseFrame {
  event?: string;
  id?: number | string;
  data?: unknown;
  /** A comment line (`: text`), ignored by EventSource. */
  comment?: string;
  retry?: number;
}

export function formatFrame(frame: SseFrame): string {
  let out = "";
  if (frame.comment !== undefined) out += `: ${frame.comment.replace(/[\r\n]+/g, " ")}\n`;
  if (frame.retry !== undefined) out += `retry: ${frame.retry}\n`;
  if (frame.event !== undefined) out += `event: ${frame.event}\n`;
  if (frame.id !== undefined) out += `id: ${frame.id}\n`;
  if (frame.data !== undefined) {
    // JSON.stringify never emits raw newlines, so one data line always suffices.
    out += `data: ${typeof frame.data === "string" ? frame.data.replace(/\r\n|\r|\n/g, "\ndata: ") : JSON.stringify(frame.data)}\n`;
  }
  return `${out}\n`;
}

export function encodeFrame(frame: SseFrame): Uint8Array {
  return encoder.encode(formatFrame(frame));
}

export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  // Tells nginx-style proxies not to buffer the stream.
  "X-Accel-Buffering": "no",
};

/** Where a writer's bytes go; `SseWriter` keeps the close/drop rules, the sink only moves bytes. */
interface SseSink {
  /** Queues bytes; false when the sink is already gone. */
  write(bytes: Uint8Array): boolean;
  /** Bytes queued and not yet taken by the client. */
  backlog(): number;
  /** Whether the client should read before more is queued (replay pacing). */
  full(): boolean;
  /** Resolves at the next chance that `full()` changed, or when the sink goes away. */
  waitDrain(): Promise<void>;
  /** Ends the response (with an error: aborts it); releases the sink's listeners. */
  end(error?: Error): void;
  response(): Response;
}

/** The body is a web stream; @hono/node-server (or the caller of `app.request()`) reads it. */
class WebStreamSink implements SseSink {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private drainWaiters: Array<() => void> = [];
  private readonly readable: ReadableStream<Uint8Array>;

  constructor(onCancel: () => void) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.wake(),
        cancel: onCancel,
      },
      { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
  }

  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  write(bytes: Uint8Array): boolean {
    try {
      this.controller.enqueue(bytes);
      return true;
    } catch {
      return false;
    }
  }

  backlog(): number {
    return Math.max(0, HIGH_WATER_MARK - (this.controller.desiredSize ?? HIGH_WATER_MARK));
  }

  full(): boolean {
    return (this.controller.desiredSize ?? 1) <= 0;
  }

  waitDrain(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  end(error?: Error): void {
    try {
      if (error) this.controller.error(error);
      else this.controller.close();
    } catch {
      // already closed or cancelled by the client
    }
    this.wake();
  }

  response(): Response {
    return new Response(this.readable, { status: 200, headers: SSE_HEADERS });
  }
}

/**
 * Writes straight to @hono/node-server's `ServerResponse`: the response's own buffer is the queue
 * (`writableLength`), `write()`'s return value and `'drain'` pace a replay, `'close'` ends the writer.
 * Headers go out with the first frame (or at `response()`), so a handler that fails before writing
 * anything still gets its JSON error response.
 */
class NodeResponseSink implements SseSink {
  private headSent = false;
  private ended = false;
  private drainWaiters: Array<() => void> = [];
  private readonly onDrain = () => this.wake();
  private readonly onClose: () => void;
  // Never removed: an error emitted after cleanup must not become an uncaught exception.
  private readonly onError = () => this.onClose();

  constructor(
    private readonly res: ServerResponse,
    onGone: () => void,
  ) {
    this.onClose = () => {
      this.wake();
      onGone();
    };
    res.on("drain", this.onDrain);
    res.on("close", this.onClose);
    res.on("error", this.onError);
  }

  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private head(): void {
    if (this.headSent) return;
    this.headSent = true;
    this.res.writeHead(200, SSE_HEADERS);
  }

  write(bytes: Uint8Array): boolean {
    const res = this.res;
    if (this.ended || res.destroyed || res.writableEnded) return false;
    this.head();
    res.write(bytes);
    return true;
  }

  backlog(): number {
    return this.res.writableLength;
  }

  full(): boolean {
    return this.res.writableNeedDrain;
  }

  waitDrain(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    const res = this.res;
    res.off("drain", this.onDrain);
    res.off("close", this.onClose);
    this.wake();
    if (error) res.destroy();
    else if (this.headSent && !res.destroyed) res.end();
  }

  response(): Response {
    if (!this.headSent) {
      this.head();
      if (this.ended) this.res.end();
      else this.res.flushHeaders();
    }
    return RESPONSE_ALREADY_SENT;
  }
}

export class SseWriter {
  private readonly sink: SseSink;
  private closedFlag = false;
  private readonly closeCallbacks: Array<() => void> = [];
  private readonly detach: Array<() => void> = [];
  private readonly abortConnection?: () => void;
  private lastBacklog = 0;
  private enqueued = 0;
  private lastConsumed = -1;

  /**
   * @param signals aborting any of them ends the stream (the request's, the app's lifetime)
   * @param connection with @hono/node-server: the raw `ServerResponse` (`c.env.outgoing`), written
   *   directly and destroyed when the client is dropped for being too slow; or a function that cuts
   *   the client's connection (the body is then a web stream); without one the body stream is errored
   */
  constructor(
    signals: AbortSignal[],
    private readonly maxQueuedBytes = 8 * 1024 * 1024,
    connection?: ServerResponse | (() => void),
    private readonly hardLimitBytes = Math.max(maxQueuedBytes * 2, 16 * 1024 * 1024),
  ) {
    if (connection instanceof ServerResponse) {
      const res = connection;
      this.sink = new NodeResponseSink(res, () => this.close());
      this.abortConnection = () => res.destroy();
    } else {
      this.sink = new WebStreamSink(() => this.close());
      this.abortConnection = connection;
    }
    for (const signal of signals) {
      if (signal.aborted) {
        queueMicrotask(() => this.close());
        continue;
      }
      const onAbort = () => this.close();
      signal.addEventListener("abort", onAbort, { once: true });
      this.detach.push(() => signal.removeEventListener("abort", onAbort));
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  onClose(fn: () => void): void {
    if (this.closedFlag) fn();
    else this.closeCallbacks.push(fn);
  }

  /** Queues a frame; returns false when the stream is closed (or was just closed for a slow reader). */
  send(frame: SseFrame): boolean {
    if (this.closedFlag) return false;
    return this.sendBytes(encodeFrame(frame));
  }

  /** Queues an already encoded frame (see `encodeFrame`). */
  sendBytes(bytes: Uint8Array): boolean {
    if (this.closedFlag) return false;
    if (!this.sink.write(bytes)) {
      this.close();
      return false;
    }
    this.enqueued += bytes.byteLength;
    if (this.sink.backlog() > this.hardLimitBytes) {
      this.drop();
      return false;
    }
    return true;
  }

  /** Bytes queued and not yet taken by the client. */
  backlog(): number {
    return this.sink.backlog();
  }

  /** Called once per heartbeat: drops a client over the allowance that took nothing since the last call. */
  checkBacklog(): void {
    if (this.closedFlag) return;
    const backlog = this.sink.backlog();
    const consumed = this.enqueued - backlog;
    const over = (n: number) => n > this.maxQueuedBytes;
    if (over(backlog) && over(this.lastBacklog) && consumed === this.lastConsumed) {
      this.drop();
      return;
    }
    this.lastBacklog = backlog;
    this.lastConsumed = consumed;
  }

  private drop(): void {
    if (this.abortConnection) {
      this.close();
      try {
        this.abortConnection();
      } catch {
        // already gone
      }
    } else {
      this.close(new Error("SSE client too slow: dropped"));
    }
  }

  /** Resolves when the client has read enough that more may be queued (a replay's pacing). */
  async drained(): Promise<void> {
    // close() wakes these too, so a waiter never outlives the stream.
    while (!this.closedFlag && this.sink.full()) await this.sink.waitDrain();
  }

  close(error?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const d of this.detach.splice(0)) d();
    this.sink.end(error);
    for (const fn of this.closeCallbacks.splice(0)) {
      try {
        fn();
      } catch (err) {
        console.error("codex-autorunner server: SSE cleanup failed:", err);
      }
    }
  }

  /** What the route handler returns (with a Node response: the marker that it was already sent). */
  response(): Response {
    return this.sink.response();
  }
}
