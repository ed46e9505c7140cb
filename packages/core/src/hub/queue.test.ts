import { describe, expect, it } from "vitest";
import { queueOrder, queuePositions, startsAllowed } from "./queue.js";

describe("the hub's start queue", () => {
  it("orders by since, then id; positions start at 1", () => {
    const entries = [
      { id: "b", since: "2026-01-01T00:00:02.000Z" },
      { id: "c", since: "2026-01-01T00:00:01.000Z" },
      { id: "a", since: "2026-01-01T00:00:02.000Z" },
    ];
    expect(queueOrder(entries).map((e) => e.id)).toEqual(["c", "a", "b"]);
    expect(Object.fromEntries(queuePositions(entries))).toEqual({ c: 1, a: 2, b: 3 });
  });

  it("an unparsable time goes last", () => {
    const order = queueOrder([
      { id: "x", since: "garbage" },
      { id: "y", since: "2026-01-01T00:00:00Z" },
    ]);
    expect(order.map((e) => e.id)).toEqual(["y", "x"]);
  });

  it("counts the starts the cap allows", () => {
    expect(startsAllowed(null, 10, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(startsAllowed(2, 0, 0)).toBe(2);
    expect(startsAllowed(2, 1, 0)).toBe(1);
    expect(startsAllowed(2, 1, 1)).toBe(0);
    expect(startsAllowed(1, 3, 0)).toBe(0);
  });
});
