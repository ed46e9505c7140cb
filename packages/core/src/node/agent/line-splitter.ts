import { isAscii } from "node:buffer";
import { isLogLine, isSanitized, MAX_LOG_LINE_CHARS, sanitizeAgentLine } from "../../log/format.js";

/**
 * One output stream's bytes → text of complete lines, as read from the pipe (not readline): invalid
 * UTF-8, NUL bytes and a 10 MB line without a newline are all handled with bounded memory, and the
 * work is per chunk, not per line (an agent can print a million lines a second).
 *
 * Memory, for a line of many megabytes (one `codex exec --json` event): its bytes wait as the Buffers
 * the pipe gave (outside the JS heap, freed once decoded) and are decoded once when its newline comes.
 * A large ASCII text (JSON events mostly are) is made a Latin-1 string, which Node keeps outside the
 * JS heap too, so neither is left as garbage on the heap until a full collection. Decoding is never
 * `stream`ed: Node's TextDecoder leaves its fast path for good after one streamed call.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** `cap`: a line without a newline is passed on in pieces of about this many bytes. */
  constructor(private readonly cap: number) {}

  /** The complete lines `chunk` finishes, joined by "\n" (no trailing newline), or null when none. */
  push(chunk: Buffer): string | null {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      return null;
    }
    // A newline byte never sits inside a UTF-8 sequence: decoding up to it is what a decode per line gives.
    const text = this.decode(this.take(chunk.subarray(0, last)));
    if (last + 1 < chunk.length) {
      this.pending.push(chunk.subarray(last + 1));
      this.pendingBytes = chunk.length - last - 1;
    }
    return text;
  }

  /** The unfinished line once it reached the cap (cut after its last whole character), else null. */
  cut(): string | null {
    if (this.pendingBytes < this.cap) return null;
    const bytes = this.take(null);
    const at = utf8Boundary(bytes);
    if (at < bytes.length) {
      this.pending.push(bytes.subarray(at));
      this.pendingBytes = bytes.length - at;
    }
    return this.decode(bytes.subarray(0, at));
  }

  /** The last line when the stream ended without a newline ("" when there is none). */
  end(): string {
    return this.decode(this.take(null));
  }

  private take(upTo: Buffer | null): Buffer {
    const parts = upTo ? [...this.pending, upTo] : this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  private decode(bytes: Buffer): string {
    if (bytes.length > LATIN1_ABOVE_BYTES && isAscii(bytes)) return bytes.toString("latin1");
    return this.decoder.decode(bytes);
  }
}

/** Above about 1 MB Node makes a Latin-1 string external (EXTERN_APEX in its string_bytes.cc). */
const LATIN1_ABOVE_BYTES = 1024 * 1024;

/** Where `bytes` can be cut without splitting a UTF-8 sequence that its last bytes begin. */
export function utf8Boundary(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = n - 1;
  while (i >= 0 && i >= n - 4 && ((bytes[i] as number) & 0xc0) === 0x80) i--;
  if (i < 0 || i < n - 4) return n; // no lead byte in reach: invalid anyway, decode it all
  const lead = bytes[i] as number;
  // Lead bytes of 2-, 3- and 4-byte sequences; anything else (ASCII, C0, C1, F5–FF) stands alone.
  const need = lead >= 0xf5 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 1;
  return n - i < need && i > 0 ? i : n;
}

/** `text`'s lines as sanitizeAgentLine makes them, joined by "\n" again; `text` itself when none changes. */
export function sanitizeText(text: string): string {
  return isSanitized(text) ? text : sanitizeLines(text).join("\n");
}

/**
 * `text`'s lines, each through sanitizeAgentLine, copying only from the first line it changes. With
 * the whole text already sanitised (the usual case) it is one split.
 */
export function sanitizeLines(text: string): string[] {
  const lines = text.split("\n");
  if (isSanitized(text)) return lines;
  let out: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (isLogLine(line)) {
      out?.push(line);
      continue;
    }
    out ??= lines.slice(0, i);
    for (const piece of sanitizeAgentLine(line)) out.push(piece);
  }
  return out ?? lines;
}

/** Text above which splitRaw copies the short lines out of it (see there). */
const DETACH_LINES_OF_CHARS = 1024 * 1024;

/**
 * Unsanitised lines (structured output) with a CRLF line ending's "\r" dropped. A line from split()
 * is a slice that keeps the whole text alive: beside a huge line (a 12 MB event), the short ones are
 * copied, so the huge one is freed once its consumer is done with it, not with the last line.
 */
export function splitRaw(text: string): string[] {
  const lines = text.split("\n");
  const crlf = text.includes("\r");
  const detach = text.length > DETACH_LINES_OF_CHARS && lines.length > 1;
  if (!crlf && !detach) return lines;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (detach && line.length <= MAX_LOG_LINE_CHARS) line = JSON.parse(JSON.stringify(line)) as string;
    lines[i] = line;
  }
  return lines;
}
