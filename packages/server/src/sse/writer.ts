/**
 * A server-sent-events response body with backpressure and one cleanup path. It closes (and runs
 * `onClose` exactly once) when the client goes away (body cancelled or request aborted), when the
 * app shuts down, when the server ends it, or when the client reads so slowly that more than
 * `maxQueuedBytes` pile up: such a client is dropped and reconnects with `Last-Event-ID`, instead of
 * the server buffering without bound.
 */
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

export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  // Tells nginx-style proxies not to buffer the stream.
  "X-Accel-Buffering": "no",
};

const encoder = new TextEncoder();

export class SseWriter {
  readonly readable: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closedFlag = false;
  private readonly closeCallbacks: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private readonly detach: Array<() => void> = [];

  constructor(
    signals: AbortSignal[],
    private readonly maxQueuedBytes = 8 * 1024 * 1024,
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
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
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
    const bytes = encoder.encode(formatFrame(frame));
    try {
      this.controller.enqueue(bytes);
    } catch {
      this.close();
      return false;
    }
    const desired = this.controller.desiredSize;
    if (desired !== null && -desired > this.maxQueuedBytes) {
      this.close(new Error("SSE client too slow: dropped"));
      return false;
    }
    return true;
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
