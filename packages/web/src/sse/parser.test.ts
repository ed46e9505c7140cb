import { describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "./parser.js";

function collect(chunks: string[], initialId = "") {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createSseParser(
    { onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) },
    initialId,
  );
  for (const c of chunks) parser.feed(c);
  return { events, comments, retries, parser };
}

describe("createSseParser", () => {
  it("parses named events with ids and JSON data", () => {
    const { events, parser } = collect(['event: log\nid: 120\ndata: {"line":"hi"}\n\n']);
    expect(events).toEqual([{ event: "log", data: '{"line":"hi"}', id: "120" }]);
    expect(parser.lastEventId).toBe("120");
  });

  it("reassembles an event split at every possible byte boundary", () => {
    const stream = "event: log\r\nid: 7\r\ndata: a\r\ndata: b\r\n\r\nevent: run\nid: 9\ndata: x\n\n";
    for (let cut = 1; cut < stream.length; cut++) {
      const { events } = collect([stream.slice(0, cut), stream.slice(cut)]);
      expect(events, `cut at ${cut}`).toEqual([
        { event: "log", data: "a\nb", id: "7" },
        { event: "run", data: "x", id: "9" },
      ]);
    }
  });

  it("treats a CR split from its LF across chunks as one line ending", () => {
    const { events } = collect(["data: one\r", "\n\r", "\ndata: two\r\n\r\n"]);
    expect(events.map((e) => e.data)).toEqual(["one", "two"]);
  });

  it("accepts bare CR line endings", () => {
    const { events } = collect(["data: a\rdata: b\r\r"]);
    expect(events).toEqual([{ event: "message", data: "a\nb", id: "" }]);
  });

  it("reports comments (heartbeats) and retry hints without dispatching events", () => {
    const { events, comments, retries } = collect([": ping\n\nretry: 2500\nretry: soon\n\n"]);
    expect(events).toEqual([]);
    expect(comments).toEqual(["ping"]);
    expect(retries).toEqual([2500]);
  });

  it("keeps the last id across events and updates it from events without data", () => {
    const { events, parser } = collect(["id: 5\ndata: a\n\ndata: b\n\nid: 8\n\n"]);
    expect(events.map((e) => e.id)).toEqual(["5", "5"]);
    expect(parser.lastEventId).toBe("8");
  });

  it("starts from the id it resumes with", () => {
    const { events } = collect(["data: a\n\n"], "42");
    expect(events[0]?.id).toBe("42");
  });

  it("ignores ids containing NUL and unknown fields", () => {
    const { events } = collect(["id: 1\n\nid: 2\0x\nfoo: bar\ndata: z\n\n"]);
    expect(events).toEqual([{ event: "message", data: "z", id: "1" }]);
  });

  it("strips a leading BOM, one space after the colon only, and handles fields without a colon", () => {
    const { events } = collect(["\uFEFFdata:  two spaces\ndata\n\n"]);
    expect(events).toEqual([{ event: "message", data: " two spaces\n", id: "" }]);
  });

  it("does not dispatch an event that was never terminated by a blank line", () => {
    const { events } = collect(["event: log\ndata: partial\n"]);
    expect(events).toEqual([]);
  });

  it("resets the event type after each dispatch", () => {
    const { events } = collect(["event: state\ndata: 1\n\ndata: 2\n\n"]);
    expect(events.map((e) => e.event)).toEqual(["state", "message"]);
  });
});
