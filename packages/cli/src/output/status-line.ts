import { formatDuration } from "./tty.js";

/**
 * One line at the bottom of a terminal, redrawn in place (`\r` + erase line); anything printed goes
 * above it: the line is erased, the text written, the line redrawn. Only used on a TTY.
 */
export class StatusLine {
  private runId: number | null = null;
  private runStartedAt = 0;
  private readonly loopStartedAt = Date.now();
  private todo: { done: number; total: number } | null = null;
  private phase = "starting";
  private visible = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly style: (s: string) => string = (s) => s,
  ) {}

  start(): void {
    this.draw();
    // Elapsed time ticks even while the agent is silent; unref so the line never keeps the process up.
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }

  setRun(runId: number): void {
    this.runId = runId;
    this.runStartedAt = Date.now();
    this.phase = "running";
    this.draw();
  }

  setTodo(done: number, outstanding: number): void {
    this.todo = { done, total: done + outstanding };
    this.draw();
  }

  setPhase(phase: string): void {
    this.phase = phase;
    this.draw();
  }

  /** Prints `text` (one or more lines) above the status line. */
  print(text: string): void {
    this.clear();
    this.stream.write(text.endsWith("\n") ? text : `${text}\n`);
    this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  text(): string {
    const parts: string[] = [];
    if (this.runId !== null) parts.push(`run ${this.runId}`);
    parts.push(this.phase);
    if (this.runId !== null && this.phase === "running")
      parts.push(formatDuration(Date.now() - this.runStartedAt));
    if (this.todo) parts.push(`TODO ${this.todo.done}/${this.todo.total} done`);
    parts.push(`total ${formatDuration(Date.now() - this.loopStartedAt)}`);
    return `● ${parts.join(" · ")}`;
  }

  private draw(): void {
    const cols = this.stream.columns || 80;
    let line = this.text();
    if (line.length > cols - 1) line = `${line.slice(0, Math.max(0, cols - 2))}…`;
    this.stream.write(`\r\x1b[2K${this.style(line)}`);
    this.visible = true;
  }

  private clear(): void {
    if (this.visible) this.stream.write("\r\x1b[2K");
    this.visible = false;
  }
}
