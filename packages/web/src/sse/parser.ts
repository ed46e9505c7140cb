/**
 * Server-sent events parser over text chunks, following the WHATWG "event stream interpretation"
 * rules. Pure (no I/O) so the tricky parts — lines split across chunks, CRLF split between chunks,
 * multi-line data, ids that persist across events — are unit tested without a network.
 */

export interface SseEvent {
  /** `event:` field, "message" when absent. */
  event: string;
  /** `data:` lines joined with "\n". */
  data: string;
  /** The last event id seen on this stream so far (ids persist until changed), "" when none. */
  id: string;
}

export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** A `retry:` field: the server's suggested reconnection delay in milliseconds. */
  onRetry?(ms: number): void;
  /** A comment line (`: ping`): the server's heartbeat. */
  onComment?(text: string): void;
}

export interface SseParser {
  /** Feed the next decoded chunk; complete events are dispatched synchronously. */
  feed(chunk: string): void;
  /** The id that a reconnect should send as Last-Event-ID. */
  readonly lastEventId: string;
}

export function createSseParser(handlers: SseParserHandlers, initialLastEventId = ""): SseParser {
  let buffer = "";
  let firstChunk = true;
  // A chunk that ended in "\r" may be the first half of "\r\n": skip a leading "\n" next time.
  let skipLeadingLf = false;
  let eventType = "";
  let data: string[] = [];
  let lastEventId = initialLastEventId;

  function dispatch(): void {
    const type = eventType || "message";
    eventType = "";
    if (data.length === 0) return;
    const payload = data.join("\n");
    data = [];
    handlers.onEvent({ event: type, data: payload, id: lastEventId });
  }

  function processLine(line: string): void {
    if (line === "") {
      dispatch();
      return;
    }
    if (line.startsWith(":")) {
      handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        data.push(value);
        break;
      case "id":
        // Spec: an id containing NUL is ignored.
        if (!value.includes("\0")) lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored by the spec.
        break;
    }
  }

  return {
    feed(chunk: string): void {
      if (chunk === "") return;
      if (firstChunk) {
        firstChunk = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      if (skipLeadingLf && chunk.startsWith("\n")) chunk = chunk.slice(1);
      skipLeadingLf = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        processLine(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === 10) i++;
          } else {
            skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
