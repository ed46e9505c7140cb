/** Where a batcher writes: process.stdout / process.stderr, or a test's sink. */
export interface LineSink {
  write(text: string): unknown;
}

/** Text gathered before a write is forced without waiting for the end of the tick. */
const DEFAULT_MAX_CHARS = 64 * 1024;

/**
 * Joins lines printed in one tick into one write per stream switch: an agent printing a million lines
 * costs a few thousand writes, not a million. Order across sinks is kept (switching sinks writes what
 * was gathered for the other first), and nothing waits longer than the current tick (setImmediate).
 * Callers must `flush()` before output that bypasses the batcher and before exiting.
 */
export class LineBatcher {
  private text = "";
  private sink: LineSink | null = null;
  private scheduled = false;

  constructor(private readonly maxChars = DEFAULT_MAX_CHARS) {}

  /** Queue `text` (ending in "\n") for `sink`. */
  write(sink: LineSink, text: string): void {
    if (sink !== this.sink) {
      this.flush();
      this.sink = sink;
    }
    this.text += text;
    if (this.text.length >= this.maxChars) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onTick);
    }
  }

  /** Write what was gathered now. */
  flush(): void {
    if (this.text === "" || !this.sink) return;
    const text = this.text;
    this.text = "";
    this.sink.write(text);
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
