import { describe, expect, it } from "vitest";
import { StatusLine } from "./status-line.js";
import { colors, formatDuration, useColor } from "./tty.js";

/** A terminal-like sink: what the status line wrote, in order. */
function sink(columns = 80) {
  const writes: string[] = [];
  const stream = { columns, isTTY: true, write: (s: string) => writes.push(s) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

/** What a terminal would show: apply \r + erase-line the way a TTY does, keep the last line state. */
function screen(writes: string[]): string[] {
  const lines: string[] = [""];
  for (const chunk of writes) {
    for (const part of chunk.split(/(\r\x1b\[2K|\n)/)) {
      if (part === "\r\x1b[2K") lines[lines.length - 1] = "";
      else if (part === "\n") lines.push("");
      else lines[lines.length - 1] += part;
    }
  }
  return lines;
}

describe("StatusLine", () => {
  it("shows run number, TODO done/total and keeps printed lines above it", () => {
    const { stream, writes } = sink();
    const line = new StatusLine(stream);
    line.start();
    line.setRun(2);
    line.setTodo(1, 2);
    line.print("agent says hi");
    line.print("and more");
    const shown = screen(writes);
    expect(shown.slice(0, 2)).toEqual(["agent says hi", "and more"]);
    const last = shown[shown.length - 1]!;
    expect(last).toContain("run 2");
    expect(last).toContain("running");
    expect(last).toContain("TODO 1/3 done");
    line.stop();
    expect(screen(writes).at(-1)).toBe(""); // erased on stop
  });

  it("never draws wider than the terminal", () => {
    const { stream, writes } = sink(20);
    const line = new StatusLine(stream);
    line.setRun(12345);
    line.setTodo(10, 20);
    const last = screen(writes).at(-1)!;
    expect(last.length).toBeLessThanOrEqual(19);
    expect(last.endsWith("…")).toBe(true);
  });
});

describe("colours", () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it("only on a TTY, never with NO_COLOR or TERM=dumb", () => {
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(pipe, {})).toBe(false);
    expect(useColor(tty, { NO_COLOR: "1" })).toBe(false);
    expect(useColor(tty, { TERM: "dumb" })).toBe(false);
    expect(useColor(tty, { NO_COLOR: "" })).toBe(true);
    expect(colors(false).red("x")).toBe("x");
    expect(colors(true).red("x")).toBe("\x1b[31mx\x1b[39m");
  });

  it("formats durations", () => {
    expect(formatDuration(1234)).toBe("1.2s");
    expect(formatDuration(65_000)).toBe("1m05s");
    expect(formatDuration(3_720_000)).toBe("1h02m");
  });
});
