/**
 * The tail of a command's output, bounded by characters: what the run record keeps and the next
 * prompt shows. The cut falls on a line boundary when the kept part has one, so the tail starts
 * with a whole line, and a first line says how much was left out. The note is not counted in the
 * limit: the output itself never takes more than `maxChars`.
 */

/** The first line of a cut tail. */
export function cutNote(chars: number, lines: number): string {
  const l = lines === 1 ? "1 line" : `${lines} lines`;
  return `[... ${chars} earlier characters (${l}) cut ...]`;
}

/** Where the tail of `text` starts: the last `maxChars` characters, moved up to the next line start. */
function tailStart(text: string, maxChars: number): number {
  if (text.length <= maxChars) return 0;
  let start = text.length - Math.max(0, maxChars);
  // Never between the halves of a surrogate pair.
  const c = text.charCodeAt(start);
  if (c >= 0xdc00 && c <= 0xdfff) start++;
  if (start < text.length && text.charCodeAt(start - 1) !== 10) {
    const nl = text.indexOf("\n", start);
    if (nl !== -1 && nl + 1 < text.length) start = nl + 1;
  }
  return start;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function render(text: string, start: number, cutBefore: number, linesBefore: number): string {
  const chars = cutBefore + start;
  if (chars === 0) return text;
  // A cut inside a line counts that line as cut too (part of it is).
  const partial = start > 0 && text.charCodeAt(start - 1) !== 10 ? 1 : 0;
  const lines = linesBefore + countLines(text, 0, start) + partial;
  const note = cutNote(chars, lines);
  return start < text.length ? `${note}\n${text.slice(start)}` : note;
}

/** `text`'s last `maxChars` characters (see above); `text` itself when it fits. */
export function tailText(text: string, maxChars: number): string {
  return render(text, tailStart(text, maxChars), 0, 0);
}

/**
 * A tail kept while output streams in, with memory bounded by `maxChars` plus one line: whole lines
 * are dropped from the front while what is left still holds `maxChars`. `text()` is what
 * `tailText` gives for all the lines pushed, joined by "\n".
 */
export class OutputTail {
  private lines: string[] = [];
  private head = 0;
  /** Characters of lines[head..] joined by "\n". */
  private chars = -1;
  private droppedChars = 0;
  private droppedLines = 0;

  constructor(private readonly maxChars: number) {}

  push(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    for (;;) {
      const first = this.lines[this.head] as string;
      if (this.lines.length - this.head < 2 || this.chars - (first.length + 1) < this.maxChars) break;
      this.chars -= first.length + 1;
      this.droppedChars += first.length + 1;
      this.droppedLines++;
      this.head++;
    }
    // Compact now and then rather than shifting per line.
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  text(): string {
    const kept = this.lines.slice(this.head).join("\n");
    return render(kept, tailStart(kept, this.maxChars), this.droppedChars, this.droppedLines);
  }
}
