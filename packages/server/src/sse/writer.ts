/**
 * A server-sent-events response body with backpressure and one cleanup path. It closes (and runs
 * `onClose` exactly once) when the client goes away (body cancelled or request aborted), when the
 * app shuts down, when the server ends it, or when the client stops reading: more than
 * `maxQueuedBytes` unread at two heartbeats in a row with nothing taken in between (`checkBacklog`),
 * or more than `hardLimitBytes` at any time. Such a client is dropped and reconnects with
 * `Last-Event-ID` (a replay is paced by the client's reading), instead of the server buffering
 * without bound. A client that keeps reading survives bursts (a follower batch of long lines).
 * Frames shared by all subscribers are encoded once (`sendBytes`), so queued data is shared too.
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

export class SseWriter {
  readonly readable: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closedFlag = false;
  private readonly closeCallbacks: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private readonly detach: Array<() => void> = [];
  private lastBacklog = 0;
  private enqueued = 0;
  private lastConsumed = -1;

  /**
   * @param signals aborting any of them ends the stream (the request's, the app's lifetime)
   * @param abortConnection cuts the client's connection when it is dropped for being too slow (with
   *   node-server: the socket); without one the body stream is errored instead
   */
  constructor(
    signals: AbortSignal[],
    private readonly maxQueuedBytes = 8 * 1024 * 1024,
    private readonly abortConnection?: () => void,
    private readonly hardLimitBytes = Math.max(maxQueuedBytes * 2, 16 * 1024 * 1024),
  ) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          const waiters = this.drainWaiters;
          this.drainWaiters = [];
          for (const w of waiters) w();
        },
        cancel: () => this.close(),
      },
      { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
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
    try {
      this.controller.enqueue(bytes);
    } catch {
      this.close();
      return false;
    }
    this.enqueued += bytes.byteLength;
    if (this.backlog() > this.hardLimitBytes) {
      this.drop();
      return false;
    }
    return true;
  }

  /** Bytes queued and not yet taken by the client. */
  backlog(): number {
    return Math.max(0, HIGH_WATER_MARK - (this.controller.desiredSize ?? HIGH_WATER_MARK));
  }

  /** Called once per heartbeat: drops a client over the allowance that took nothing since the last call. */
  checkBacklog(): void {
    if (this.closedFlag) return;
    const backlog = this.backlog();
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

  /** Resolves when the client has read enough that the queue is below its high-water mark. */
  async drained(): Promise<void> {
    while (!this.closedFlag && (this.controller.desiredSize ?? 1) <= 0) {
      // close() resolves these too, so a waiter never outlives the stream.
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
  }

  close(error?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const d of this.detach.splice(0)) d();
    try {
      if (error) this.controller.error(error);
      else this.controller.close();
    } catch {
      // already closed or cancelled by the client
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    for (const fn of this.closeCallbacks.splice(0)) {
      try {
        fn();
      } catch (err) {
        console.error("codex-autorunner server: SSE cleanup failed:", err);
      }
    }
  }

  response(): Response {
    return new Response(this.readable, { status: 200, headers: SSE_HEADERS });
  }
}
